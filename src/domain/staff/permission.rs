//! Who may do what, and over what: one table of `(role, action, scope)` lines that a
//! reader checks at a glance, in the manner of the webhook's rule table. Nothing is
//! allowed that is not a line here; every handler, page and service asks [`allows`]
//! (through `Staff::may` and `Staff::may_on`).
//!
//! A scope says which things of an allowed action the account reaches: `Region` — those
//! inside its region (a village, township, county or the city), `Unit` — complaints
//! assigned to its unit (and inside its region).

use serde::Serialize;

use super::role::Role;

/// Declares the actions once: the variant, its wire name (audit log, API) and label.
macro_rules! actions {
    ($($variant:ident = $wire:literal, $label:literal;)+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Action {
            $($variant,)+
        }

        impl Action {
            pub const ALL: &[Action] = &[$(Action::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self { $(Action::$variant => $wire,)+ }
            }

            pub fn label(self) -> &'static str {
                match self { $(Action::$variant => $label,)+ }
            }
        }
    };
}

actions! {
    ListComplaints = "complaint.list", "查看投诉列表";
    ReadComplaint = "complaint.read", "查看投诉内容";
    SeeContact = "complaint.see_contact", "查看实名投诉人联系方式";
    RevealAnonymous = "complaint.reveal_anonymous", "说明理由后查看匿名投诉人";
    SearchByPhone = "complaint.search_phone", "按手机号查找投诉";
    AcceptComplaint = "complaint.accept", "受理";
    RejectComplaint = "complaint.reject", "不予受理";
    AssignComplaint = "complaint.assign", "转办";
    TransferComplaint = "complaint.transfer", "移交其他干部";
    ExtendComplaint = "complaint.extend", "延期";
    ReportResult = "complaint.report_result", "报送办理结果";
    ConcludeComplaint = "complaint.conclude", "办结答复";
    NoteComplaint = "complaint.note", "写内部备注";
    ReadAudit = "audit.read", "查看审计日志";
    ManageAccounts = "account.manage", "管理账号";
    ManagePowerList = "power_list.manage", "管理小微权力清单";
    ManageMenu = "menu.manage", "管理公众号菜单";
    ManageTemplates = "template.manage", "管理消息模板";
    DraftDisclosure = "disclosure.draft", "起草村务公开";
    ReviewDisclosure = "disclosure.review", "审核村务公开";
    ManageSupervisors = "supervisor.manage", "维护监督员名录";
    ReadInsight = "insight.read", "查看监督分析";
    ManageRecommendations = "recommendation.manage", "送达和跟踪监察建议书";
    ReadCalendar = "calendar.read", "查看公开时限";
}

/// Which of the things an allowed action touches an account reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Inside the account's region.
    Region,
    /// Complaints assigned to the account's unit, inside its region.
    Unit,
}

impl Scope {
    pub fn label(self) -> &'static str {
        match self {
            Scope::Region => "本辖区",
            Scope::Unit => "转办给本单位的",
        }
    }
}

use Action::*;
use Role::*;
use Scope::{Region, Unit};

/// The permission table. Read it as "a clerk may draft disclosures in their region".
const TABLE: &[(Role, Action, Scope)] = &[
    (Clerk, DraftDisclosure, Region),
    (Clerk, ReadCalendar, Region),
    (Reviewer, ReviewDisclosure, Region),
    (Reviewer, ManageSupervisors, Region),
    (Reviewer, ReadCalendar, Region),
    // A unit's handler: only what was assigned to the unit, and never who complained
    // (《信访工作条例》 art. 30: nothing reaches the person or unit complained about).
    (Handler, ListComplaints, Unit),
    (Handler, ReadComplaint, Unit),
    (Handler, ReportResult, Unit),
    (Handler, NoteComplaint, Unit),
    (Inspector, ListComplaints, Region),
    (Inspector, ReadComplaint, Region),
    (Inspector, SeeContact, Region),
    (Inspector, SearchByPhone, Region),
    (Inspector, AcceptComplaint, Region),
    (Inspector, RejectComplaint, Region),
    (Inspector, AssignComplaint, Region),
    (Inspector, TransferComplaint, Region),
    (Inspector, ExtendComplaint, Region),
    (Inspector, ConcludeComplaint, Region),
    (Inspector, NoteComplaint, Region),
    (Inspector, ReadAudit, Region),
    (Inspector, ReadInsight, Region),
    (Inspector, ManageRecommendations, Region),
    // A village that stays silent is a warning sign the commission watches too.
    (Inspector, ReadCalendar, Region),
    // An auditor reads; an anonymous complainant only through a reasoned, audited reveal.
    (Auditor, ListComplaints, Region),
    (Auditor, ReadComplaint, Region),
    (Auditor, SeeContact, Region),
    (Auditor, RevealAnonymous, Region),
    (Auditor, SearchByPhone, Region),
    (Auditor, ReadAudit, Region),
    (Auditor, ReadInsight, Region),
    // An administrator sees no complaint content.
    (Admin, ManageAccounts, Region),
    (Admin, ManagePowerList, Region),
    (Admin, ManageMenu, Region),
    (Admin, ManageTemplates, Region),
];

/// The scope in which `role` may take `action`, or `None` when it may not at all.
pub fn allows(role: Role, action: Action) -> Option<Scope> {
    TABLE
        .iter()
        .find(|(r, a, _)| *r == role && *a == action)
        .map(|(_, _, scope)| *scope)
}

/// The table as Markdown, one row per action and a column per role, for docs/staff.md
/// (a test keeps the document equal to this).
pub fn markdown_table() -> String {
    let mut out = String::from("| action |");
    for role in Role::ALL {
        out.push_str(&format!(" {} `{}` |", role.label(), role.as_str()));
    }
    out.push_str("\n| --- |");
    for _ in Role::ALL {
        out.push_str(" --- |");
    }
    out.push('\n');
    for action in Action::ALL {
        out.push_str(&format!("| {} `{}` |", action.label(), action.as_str()));
        for role in Role::ALL {
            let cell = allows(*role, *action).map_or("—", Scope::label);
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_of_the_table_is_written_once() {
        for (i, (role, action, _)) in TABLE.iter().enumerate() {
            let same = TABLE
                .iter()
                .skip(i + 1)
                .any(|(r, a, _)| r == role && a == action);
            assert!(!same, "{role:?} {action:?} twice");
        }
    }

    #[test]
    fn who_complained_stays_with_inspectors_and_auditors() {
        for role in Role::ALL {
            let sees = allows(*role, SeeContact).is_some();
            assert_eq!(sees, matches!(role, Inspector | Auditor), "{role:?}");
            let searches = allows(*role, SearchByPhone).is_some();
            assert_eq!(searches, matches!(role, Inspector | Auditor), "{role:?}");
            let reveals = allows(*role, RevealAnonymous).is_some();
            assert_eq!(reveals, *role == Auditor, "{role:?}");
        }
        // An administrator reads no complaint at all.
        assert_eq!(allows(Admin, ReadComplaint), None);
        assert_eq!(allows(Handler, ReadComplaint), Some(Unit));
        assert_eq!(allows(Handler, RejectComplaint), None);
    }

    /// docs/staff.md prints the table; `UPDATE_DOCS=1 cargo test --lib` writes it there.
    #[test]
    fn docs_staff_md_shows_this_table() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/staff.md");
        let doc = std::fs::read_to_string(&path).unwrap();
        let (begin, end) = ("<!-- permissions:begin -->\n", "<!-- permissions:end -->");
        let (head, rest) = doc.split_once(begin).unwrap();
        let (shown, tail) = rest.split_once(end).unwrap();
        let table = markdown_table();
        if std::env::var("UPDATE_DOCS").is_ok() {
            std::fs::write(&path, format!("{head}{begin}{table}{end}{tail}")).unwrap();
            return;
        }
        assert_eq!(
            shown, table,
            "docs/staff.md: run UPDATE_DOCS=1 cargo test --lib"
        );
    }

    #[test]
    fn the_markdown_table_has_a_row_per_action() {
        let table = markdown_table();
        assert_eq!(table.lines().count(), Action::ALL.len() + 2);
        assert!(table.contains("| 不予受理 `complaint.reject` | — | — | — | 本辖区 | — | — |"));
    }
}
