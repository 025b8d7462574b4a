//! What each rule of the router does: one function per [`Handler`], each returning the
//! passive [`Reply`]. The words followers read are here, in Chinese.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::inbound::{Event, Inbound, InboundMessage};
use super::reply::{Article, Reply};
use crate::configuration::Settings;
use crate::domain::complaint::TrackingNumber;
use crate::domain::notification::TemplateJobStatus;
use crate::domain::{OpenId, RegionCode, RegionLevel, VillageCode};
use crate::region_index::{Hit, LevelResults, Query, RegionIndex, SearchIndex};
use crate::routes::paths;
use crate::storage;
use crate::telemetry::hashed;

/// The handlers the router's rules name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    /// subscribe: a welcome; with a village's QR scene, bind the follower to it.
    Welcome,
    /// SCAN of a village's QR code by a follower: bind and link the village.
    BindScannedVillage,
    /// unsubscribe: mark the follower unsubscribed, keep the history.
    Farewell,
    /// TEMPLATESENDJOBFINISH: WeChat's report on one template message.
    TemplateDelivered,
    MyVillage,
    HowToFindVillage,
    MySupervisors,
    Help,
    /// A click key no rule knows (the pushed menu and menu.json disagree).
    UnknownClick,
    /// scancode_waitmsg: find the village a scanned code names.
    FindScannedVillage,
    /// 进度 or a tracking number.
    MyComplaints,
    /// 投诉 / 举报 / 建议.
    Complain,
    /// Words that may name a village, township or code.
    FindVillage,
    /// 存证: the transparency log's latest checkpoint, to note down or compare.
    LogCheckpoint,
    /// 退订: no more evening pushes of what the village published.
    StopVillagePushes,
    /// 订阅: the evening pushes again.
    StartVillagePushes,
    /// Words too long to be a name.
    Acknowledge,
    MediaNotHandled,
    LogUnknown,
    /// Nothing to say.
    Ignore,
}

impl Handler {
    /// Whether the handler answers from memory alone and changes nothing (no database,
    /// no store): such a delivery is answered first and claimed with its answer in one
    /// round trip (`Dedup::claim_answered`), since a duplicate making the same answer
    /// again does no harm.
    pub fn is_pure(self) -> bool {
        match self {
            Handler::HowToFindVillage
            | Handler::Help
            | Handler::UnknownClick
            | Handler::FindScannedVillage
            | Handler::FindVillage
            | Handler::Acknowledge
            | Handler::MediaNotHandled
            | Handler::LogUnknown
            | Handler::Ignore => true,
            Handler::Welcome
            | Handler::BindScannedVillage
            | Handler::Farewell
            | Handler::TemplateDelivered
            | Handler::MyVillage
            | Handler::MySupervisors
            | Handler::MyComplaints
            | Handler::Complain
            | Handler::LogCheckpoint
            | Handler::StopVillagePushes
            | Handler::StartVillagePushes => false,
        }
    }
}

/// What handlers may use.
pub struct Context<'a> {
    pub settings: &'a Settings,
    pub pool: &'a PgPool,
    pub vault: &'a crate::crypto::Vault,
    pub regions: &'a SearchIndex,
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Answer when a handler failed: definite, so WeChat does not show its own error.
pub const SORRY: &str = "系统繁忙，请稍后再试。";

/// Villages listed at most in one reply.
const MAX_LISTED: usize = 10;
/// More villages than this of one name are "many": the reply says the list is of the
/// nearest, not all.
const MANY: usize = 50;

impl Handler {
    pub async fn run(
        self,
        ctx: &Context<'_>,
        message: &InboundMessage,
    ) -> Result<Reply, HandlerError> {
        let links = Links::new(ctx.settings.public_base());
        let at = time_of(message);
        let who = &message.from;
        Ok(match self {
            Handler::Welcome => {
                let scene = match message.kind.event() {
                    Some(Event::Subscribe { scene, .. }) => scene.as_deref(),
                    _ => None,
                };
                let village = scene.and_then(|s| scanned_village(ctx.regions, s));
                if scene.is_some() && village.is_none() {
                    tracing::warn!("subscribed through a QR scene that is no village");
                }
                storage::followers::subscribe(
                    ctx.pool,
                    ctx.vault,
                    who,
                    at,
                    village.as_ref().map(|(code, _)| code),
                )
                .await?;
                Reply::Text(welcome(&links, village.as_ref().map(|(_, hit)| hit)))
            }
            Handler::BindScannedVillage => {
                let scene = match message.kind.event() {
                    Some(Event::Scan { scene, .. }) => scene.as_str(),
                    _ => "",
                };
                match scanned_village(ctx.regions, scene) {
                    Some((code, hit)) => {
                        storage::followers::bind_village(ctx.pool, ctx.vault, who, &code, at)
                            .await?;
                        Reply::News(village_article(
                            &links,
                            &hit,
                            "已关联本村。点开查看本村的党务、村务、财务公开和监督员；菜单“我的村”随时回到这里。",
                        ))
                    }
                    None => {
                        tracing::warn!("a scanned QR scene is no village");
                        Reply::Text(help(&links))
                    }
                }
            }
            Handler::Farewell => {
                storage::followers::unsubscribe(ctx.pool, ctx.vault, who, at).await?;
                Reply::Success
            }
            Handler::TemplateDelivered => {
                if let Some(Event::TemplateSendJobFinish { msg_id, status }) = message.kind.event()
                {
                    let outcome = TemplateJobStatus::parse(status);
                    let marked = match i64::try_from(*msg_id) {
                        Ok(id) => storage::outbox::mark_delivery(ctx.pool, id, outcome).await?,
                        Err(_) => None,
                    };
                    tracing::info!(
                        template.msg_id = msg_id,
                        template.status = %status,
                        outbox.id = marked.map(|id| id.get()),
                        follower = %hashed(who.as_str()),
                        "template message delivery reported"
                    );
                    if marked.is_none() {
                        tracing::warn!(
                            template.msg_id = msg_id,
                            "a delivery report for a message the outbox does not know"
                        );
                    }
                }
                Reply::Success
            }
            Handler::MyVillage => match bound_village(ctx, who).await? {
                Some(hit) => Reply::News(village_article(
                    &links,
                    &hit,
                    "本村的党务、村务、财务公开，小微权力清单和监督员，也可以在这里反映问题。",
                )),
                None => Reply::Text(not_bound(&links)),
            },
            Handler::HowToFindVillage => Reply::Text(format!(
                "请直接回复村名，如“王岗村”。同名的村较多时，在前面加上乡镇或县区，如“青山镇王岗”“平桥区王岗村”；也可以回复12位村代码。\n\n也可以<a href=\"{}\">从县区、乡镇逐级查找</a>。",
                links.home()
            )),
            Handler::MySupervisors => match bound_village(ctx, who).await? {
                Some(hit) => Reply::Text(format!(
                    "{}的村务监督委员会成员和廉情监督员：<a href=\"{}#supervisors\">点此查看</a>\n\n发现问题可以直接找他们，也可以<a href=\"{}\">在线投诉</a>。",
                    hit.full_name(),
                    links.place(&hit.code),
                    links.complain(village_of(&hit).as_ref())
                )),
                None => Reply::Text(not_bound(&links)),
            },
            Handler::Help => Reply::Text(help(&links)),
            Handler::UnknownClick => {
                if let Some(Event::Click { key }) = message.kind.event() {
                    tracing::warn!(click.key = %key, "a menu click has no rule; is the pushed menu older than menu.json?");
                }
                Reply::Text(help(&links))
            }
            Handler::FindScannedVillage => {
                let scanned = match message.kind.event() {
                    Some(Event::ScancodeWaitmsg(scan)) => scan.scan_result.as_str(),
                    _ => "",
                };
                let index = ctx.regions.current();
                match twelve_digits(scanned).and_then(|code| village_hit(&index, &code)) {
                    Some(hit) => Reply::News(village_article(
                        &links,
                        &hit,
                        "扫码找到的村。点开查看本村公开的内容。",
                    )),
                    None if super::router::could_be_a_place_name(scanned) => lookup(ctx, scanned),
                    None => Reply::Text(format!(
                        "这个二维码不是村务公开码。请扫描村务公开栏上的二维码，或回复村名查找。\n\n{}",
                        links.home_link()
                    )),
                }
            }
            Handler::MyComplaints => {
                let words = message.kind.words().unwrap_or_default();
                complaint_progress(ctx, who, words, &links).await?
            }
            Handler::Complain => {
                let village = storage::followers::bound_village(ctx.pool, ctx.vault, who).await?;
                Reply::Text(format!(
                    "反映问题请点这里：<a href=\"{}\">在线投诉</a>\n\n可以实名，也可以匿名；受理、转办、办结都会推送给您，回复“进度”可随时查看。",
                    links.complain(village.as_ref())
                ))
            }
            Handler::FindVillage => lookup(ctx, message.kind.words().unwrap_or_default()),
            Handler::LogCheckpoint => Reply::Text(log_checkpoint(ctx, &links).await?),
            Handler::StopVillagePushes => {
                storage::village_pushes::set_wanted(ctx.pool, ctx.vault, who, false, at).await?;
                Reply::Text(format!(
                    "已退订本村公开推送，以后本村发布村务公开时不再给您发消息（投诉办理进度仍会推送）。回复“订阅”可以重新开启，也可以在<a href=\"{}\">推送设置</a>里开关。",
                    links.absolute(paths::MY_PUSHES)
                ))
            }
            Handler::StartVillagePushes => {
                storage::village_pushes::set_wanted(ctx.pool, ctx.vault, who, true, at).await?;
                match bound_village(ctx, who).await? {
                    Some(hit) => Reply::Text(format!(
                        "已订阅{}的公开推送：本村当天发布了村务公开的，晚上7点左右给您发一条消息，每天最多一条。回复“退订”可以关闭。",
                        hit.display_name
                    )),
                    None => Reply::Text(format!("已开启公开推送。{}", not_bound(&links))),
                }
            }
            Handler::Acknowledge => Reply::Text(format!(
                "您的留言已收到。对话里的留言不能登记和转办；需要办理的问题请<a href=\"{}\">在线投诉</a>，办理进度会推送给您。\n\n回复“帮助”查看使用说明。",
                links.complain(None)
            )),
            Handler::MediaNotHandled => Reply::Text(format!(
                "本号不在对话中处理图片、语音、视频和文件。反映问题请<a href=\"{}\">在线投诉</a>，可以附上照片。",
                links.complain(None)
            )),
            Handler::LogUnknown => {
                if let Inbound::Unknown {
                    msg_type, event, ..
                } = &message.kind
                {
                    tracing::info!(
                        msg_type = %msg_type,
                        event = event.as_deref().unwrap_or(""),
                        "a message of a kind this service does not know; answered success"
                    );
                }
                Reply::Success
            }
            Handler::Ignore => Reply::Success,
        })
    }
}

/// When WeChat received the message (our clock if CreateTime is out of range).
pub fn time_of(message: &InboundMessage) -> DateTime<Utc> {
    DateTime::from_timestamp(message.create_time, 0).unwrap_or_else(Utc::now)
}

/// Links into the follower pages: the paths of `routes::paths` under
/// `public_base_url`, since a reply is read outside the site.
/// The latest signed checkpoint in one line a follower can keep and compare.
async fn log_checkpoint(ctx: &Context<'_>, links: &Links<'_>) -> Result<String, HandlerError> {
    let page = links.absolute(paths::transparency());
    let Some(kept) = storage::tlog::latest_checkpoint(ctx.pool).await? else {
        return Ok(format!(
            "存证日志还没有签名。说明：<a href=\"{page}\">存证</a>"
        ));
    };
    let signer = &ctx.settings.transparency.signing_key;
    let root = crate::transparency::checkpoint::Checkpoint::open(
        kept.note.as_bytes(),
        signer.name(),
        &[signer.verifier()],
    )
    .map(|c| c.root.to_base64())
    .map_err(|e| HandlerError::Database(storage::corrupt("log checkpoint", e)))?;
    Ok(format!(
        "存证日志 {}：{} 条，根哈希 {root}\n\n每一次公开和投诉状态变化都记在这本只能添加的日志里。记下这一行，以后可以核对日志是否被改写：<a href=\"{page}\">怎样核对</a>",
        crate::domain::china_time::day(kept.created_at),
        kept.size,
    ))
}

struct Links<'a> {
    base: &'a str,
}

impl<'a> Links<'a> {
    fn new(base: &'a str) -> Links<'a> {
        Links { base }
    }

    fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn home(&self) -> String {
        self.absolute(paths::home())
    }

    fn home_link(&self) -> String {
        format!("<a href=\"{}\">按县区、乡镇查找</a>", self.home())
    }

    /// A village's page (or, for a higher code, its region's).
    fn place(&self, code: &RegionCode) -> String {
        self.absolute(&paths::place(code))
    }

    fn region(&self, code: &RegionCode) -> String {
        self.absolute(&paths::region(code))
    }

    fn power(&self) -> String {
        self.absolute(paths::power())
    }

    fn complain(&self, village: Option<&VillageCode>) -> String {
        self.absolute(&paths::new_complaint(village))
    }

    fn my_complaints(&self) -> String {
        self.absolute(paths::my_complaints())
    }

    fn complaint(&self, number: &TrackingNumber) -> String {
        self.absolute(&paths::complaint(number))
    }
}

/// Complaints listed in reply to 进度.
const PROGRESS_SHOWN: i64 = 5;

/// 进度 or a tracking number: where the follower's own complaints stand. A number filed
/// by someone else gets the same answer as an unknown one, so nobody learns of it.
async fn complaint_progress(
    ctx: &Context<'_>,
    who: &OpenId,
    words: &str,
    links: &Links<'_>,
) -> Result<Reply, HandlerError> {
    let index = ctx.regions.current();
    if let Some(number) = TrackingNumber::find_in(words) {
        let own = storage::complaints::find_by_tracking_number(ctx.pool, &number)
            .await?
            .filter(|c| crate::services::identity::is_owner(ctx.vault, &c.identity, who));
        return Ok(Reply::Text(match own {
            Some(c) => format!(
                "投诉 {number}（{}）\n当前状态：{}\n\n<a href=\"{}\">查看办理进展和答复</a>",
                index.village_name(&c.village_code),
                c.status.label(),
                links.complaint(&number)
            ),
            None => format!(
                "没有找到您提交的受理编号为 {number} 的投诉，请核对编号。\n\n您提交的全部投诉：<a href=\"{}\">我的投诉</a>",
                links.my_complaints()
            ),
        }));
    }
    let recent =
        storage::complaints::list_for_openid(ctx.pool, ctx.vault, who, PROGRESS_SHOWN).await?;
    if recent.is_empty() {
        return Ok(Reply::Text(format!(
            "您还没有提交过投诉建议。反映问题请<a href=\"{}\">在线投诉</a>，可以实名，也可以匿名。",
            links.complain(None)
        )));
    }
    let lines: Vec<String> = recent
        .iter()
        .map(|c| {
            format!(
                "<a href=\"{}\">{}</a> {} {}",
                links.complaint(&c.tracking_number),
                c.tracking_number,
                index.village_name(&c.village_code),
                c.status.label()
            )
        })
        .collect();
    Ok(Reply::Text(format!(
        "您最近的投诉：\n{}\n\n全部投诉：<a href=\"{}\">我的投诉</a>\n每次状态变化，我们都会推送消息给您。",
        lines.join("\n"),
        links.my_complaints()
    )))
}

fn welcome(links: &Links<'_>, village: Option<&Hit>) -> String {
    let bound = match village {
        Some(hit) => format!(
            "已为您关联 {}：<a href=\"{}\">查看本村公开</a>\n\n",
            hit.full_name(),
            links.place(&hit.code)
        ),
        None => String::new(),
    };
    format!(
        "欢迎关注阳光村务！每个村的党务、村务、财务都在这里公开，您可以随时查看、随时监督。\n\n{bound}\
         · 找村：直接回复村名，如“王岗村”“青山镇王岗”\n\
         · 看权力：<a href=\"{}\">村级小微权力清单</a>和办事流程\n\
         · 反映问题：<a href=\"{}\">在线投诉</a>，可实名也可匿名，办理进度会推送给您",
        links.power(),
        links.complain(village.and_then(village_of).as_ref())
    )
}

fn help(links: &Links<'_>) -> String {
    format!(
        "阳光村务使用说明：\n\
         1. 回复村名查找本村，如“王岗村”；重名时加上乡镇或县区，如“青山镇王岗”；也可以回复12位村代码。\n\
         2. <a href=\"{}\">小微权力清单</a>：村里每项权力由谁行使、怎么办、公开什么。\n\
         3. 反映问题请<a href=\"{}\">在线投诉</a>；回复“进度”查看办理情况。\n\
         4. 回复“存证”查看存证日志：每一次公开和投诉办理都记在里面，事后不能改。",
        links.power(),
        links.complain(None)
    )
}

fn not_bound(links: &Links<'_>) -> String {
    format!(
        "您还没有关联村庄。扫描村务公开栏上的二维码即可关联本村；也可以直接回复村名查找，或{}。",
        links.home_link()
    )
}

fn village_article(links: &Links<'_>, hit: &Hit, description: &str) -> Article {
    Article {
        title: hit.full_name(),
        description: description.to_owned(),
        url: links.place(&hit.code),
        pic_url: None,
    }
}

/// The village code of a village's hit.
fn village_of(hit: &Hit) -> Option<VillageCode> {
    VillageCode::try_from(hit.code.clone()).ok()
}

/// The village a QR scene names: its code, known to the index.
fn scanned_village(regions: &SearchIndex, scene: &str) -> Option<(VillageCode, Hit)> {
    let index = regions.current();
    let code = VillageCode::parse(scene.trim()).ok()?;
    let hit = index.get(code.region_code())?;
    Some((code, hit))
}

async fn bound_village(ctx: &Context<'_>, who: &OpenId) -> Result<Option<Hit>, HandlerError> {
    let Some(code) = storage::followers::bound_village(ctx.pool, ctx.vault, who).await? else {
        return Ok(None);
    };
    Ok(ctx.regions.current().get(code.region_code()))
}

/// The first run of exactly 12 digits in a scanned text (a code, or a URL ending in one).
fn twelve_digits(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 12)
        .map(str::to_owned)
}

fn village_hit(index: &RegionIndex, code: &str) -> Option<Hit> {
    let code = VillageCode::parse(code).ok()?;
    index.get(code.region_code())
}

/// [`village_reply`] on the worker that received the message: over all of China a whole
/// lookup, "did you mean" included, takes under 0.15 ms (docs/benchmarks.md), less than
/// handing it to another thread and back.
fn lookup(ctx: &Context<'_>, words: &str) -> Reply {
    village_reply(&ctx.regions.current(), ctx.settings.public_base(), words)
}

/// The reply to words that may name a village (the webhook's "find my village"), with
/// links under `public_base`. Public for the benchmark.
pub fn village_reply(index: &RegionIndex, public_base: &str, words: &str) -> Reply {
    find_village(index, &Links::new(public_base), words)
}

/// Finds villages by what the follower typed: one → a news reply linking it; several →
/// a list of up to ten with township and county; none → the townships so named, or the
/// nearest names, if any.
fn find_village(index: &RegionIndex, links: &Links<'_>, words: &str) -> Reply {
    let query = words.trim();
    let shown: String = query.chars().take(32).collect();
    let search = |limit| Query {
        text: query,
        within: None,
        limit,
    };
    let villages = index.search_level(&search(MAX_LISTED), RegionLevel::Village);
    match (villages.total, villages.exact, villages.hits.first()) {
        (0, ..) => {}
        (1, _, Some(only)) => {
            return Reply::News(village_article(
                links,
                only,
                "本村的党务、村务、财务公开，小微权力清单和监督员，也可以在这里反映问题。",
            ));
        }
        // Exact matches come first.
        (total, 1, Some(only)) => {
            let others = total - 1;
            return Reply::News(village_article(
                links,
                only,
                &format!(
                    "本村的公开内容都在这里。另有 {others} 个名称相近的村：回复乡镇名加村名可以找到它们。"
                ),
            ));
        }
        _ => return Reply::Text(village_list(&villages, &shown, links)),
    }
    let townships = index.search_level(&search(MAX_LISTED), RegionLevel::Township);
    if let Some(first) = townships.hits.first() {
        let mut text = format!("“{shown}”是乡镇的名字：\n");
        push_numbered_links(&mut text, &townships.hits, |c| links.region(c));
        text.push_str(&format!(
            "\n点开乡镇可以看到它的每个村；也可以回复乡镇名加村名，如“{}王岗村”。",
            first.display_name
        ));
        return Reply::Text(text);
    }
    Reply::Text(nothing_found(index, links, &shown))
}

/// Several villages: the first ten, how many more, and how to narrow the search.
fn village_list(villages: &LevelResults, shown: &str, links: &Links<'_>) -> String {
    let mut text = if villages.total > MANY {
        format!("名字里有“{shown}”的村很多，这是最接近的 {MAX_LISTED} 个：\n")
    } else {
        format!("找到 {} 个“{shown}”：\n", villages.total)
    };
    push_numbered_links(&mut text, &villages.hits, |c| links.place(c));
    if villages.total > villages.hits.len() {
        text.push_str(&format!(
            "……另有 {} 个未列出。\n",
            villages.total - villages.hits.len()
        ));
    }
    let example = villages
        .hits
        .first()
        .and_then(|v| {
            v.township
                .as_ref()
                .map(|t| format!("{}{}", t.name, v.display_name))
        })
        .unwrap_or_default();
    text.push_str(&format!(
        "\n在村名前加上乡镇或县区可以缩小范围，如“{example}”。"
    ));
    text
}

/// Appends `1. <a href="…">平桥区王岗乡王岗村</a>` lines, one per hit, `href` giving
/// each hit's link from its code.
fn push_numbered_links<'h>(
    text: &mut String,
    hits: impl IntoIterator<Item = &'h Hit>,
    href: impl Fn(&RegionCode) -> String,
) {
    use std::fmt::Write;
    for (i, h) in hits.into_iter().enumerate() {
        // Written in place: a list reply is ten of these per message.
        let _ = write!(text, "{}. <a href=\"{}\">", i + 1, href(&h.code));
        h.push_full_name(text);
        text.push_str("</a>\n");
    }
}

fn nothing_found(index: &RegionIndex, links: &Links<'_>, shown: &str) -> String {
    if shown.chars().all(|c| c.is_ascii_digit()) {
        return format!(
            "没有代码为 {shown} 的村。村代码是12位数字，印在村务公开栏的二维码旁；也可以直接回复村名。"
        );
    }
    let near: Vec<Hit> = index
        .suggest(shown, 20)
        .into_iter()
        .filter(|h| h.level == RegionLevel::Village)
        .take(5)
        .collect();
    if near.is_empty() {
        return format!(
            "没有找到“{shown}”。请检查村名，或在村名前加上乡镇再试，如“青山镇王岗”；也可以{}。\n\n回复“帮助”查看使用说明。",
            links.home_link()
        );
    }
    let mut text = format!("没有找到“{shown}”。您要找的是不是：\n");
    push_numbered_links(&mut text, &near, |c| links.place(c));
    text.push_str("\n都不是？请检查村名，或在村名前加上乡镇再试。");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region_index::sample::sample as index;

    fn find(words: &str) -> Reply {
        find_village(&index(), &Links::new("https://cunwu.test"), words)
    }

    #[test]
    fn one_village_is_a_news_reply_linking_its_page() {
        let Reply::News(article) = find("青山镇王岗") else {
            panic!("expected news");
        };
        assert_eq!(article.title, "罗山县青山镇王岗村");
        assert_eq!(article.url, "https://cunwu.test/v/411521106200");
        let Reply::News(article) = find("411503209202") else {
            panic!("expected news");
        };
        assert_eq!(article.title, "平桥区王岗乡王岗村");
    }

    #[test]
    fn several_villages_are_listed_with_their_places_and_how_to_narrow() {
        let Reply::Text(text) = find("王岗村") else {
            panic!("expected text");
        };
        assert!(text.starts_with("找到 3 个“王岗村”"), "{text}");
        assert!(
            text.contains("<a href=\"https://cunwu.test/v/411521106200\">罗山县青山镇王岗村</a>"),
            "{text}"
        );
        assert!(
            text.contains("<a href=\"https://cunwu.test/v/411503209202\">平桥区王岗乡王岗村</a>"),
            "{text}"
        );
        assert!(text.contains("霸王岗村"), "{text}");
        assert!(text.contains("如“"), "{text}");
    }

    /// 信阳市's 平桥区 with 60 villages named 张庄 over six townships, one of them 张庄村.
    fn many_of_one_name() -> RegionIndex {
        use crate::region_index::sample::region;
        let mut regions = vec![region("4115", "信阳市"), region("411503", "平桥区")];
        for t in 0..6 {
            regions.push(region(
                &format!("411503{:03}", 100 + t),
                &format!("第{t}镇"),
            ));
            for v in 0..10 {
                let name = if t == 0 && v == 0 {
                    "张庄村"
                } else {
                    "张庄东村"
                };
                regions.push(region(&format!("411503{:03}2{v:02}", 100 + t), name));
            }
        }
        RegionIndex::build(&regions)
    }

    #[test]
    fn many_villages_of_a_name_list_the_nearest_ten_and_count_all_the_others() {
        let index = many_of_one_name();
        let links = Links::new("https://cunwu.test");
        let Reply::Text(text) = find_village(&index, &links, "张庄东") else {
            panic!("expected text");
        };
        assert!(
            text.starts_with("名字里有“张庄东”的村很多，这是最接近的 10 个："),
            "{text}"
        );
        assert_eq!(text.matches("<a href=").count(), 10, "{text}");
        assert!(text.contains("……另有 49 个未列出。"), "{text}");
        // The one village named exactly so is the reply, and the others are counted.
        let Reply::News(article) = find_village(&index, &links, "张庄") else {
            panic!("expected news");
        };
        assert_eq!(article.title, "平桥区第0镇张庄村");
        assert!(
            article.description.contains("另有 59 个名称相近的村"),
            "{}",
            article.description
        );
    }

    #[test]
    fn a_township_name_lists_the_township() {
        let Reply::Text(text) = find("鄢岗镇") else {
            panic!("expected text");
        };
        assert!(text.contains("https://cunwu.test/r/411524107"), "{text}");
    }

    #[test]
    fn nothing_found_suggests_near_names_or_explains() {
        let Reply::Text(text) = find("王刚村") else {
            panic!("expected text");
        };
        assert!(
            text.starts_with("没有找到“王刚村”。您要找的是不是"),
            "{text}"
        );
        assert!(text.contains("/v/4115"), "{text}");
        let Reply::Text(text) = find("完全不存在的地方") else {
            panic!("expected text");
        };
        assert!(text.contains("请检查村名"), "{text}");
        let Reply::Text(text) = find("999999999999") else {
            panic!("expected text");
        };
        assert!(text.contains("12位数字"), "{text}");
    }

    #[test]
    fn twelve_digit_runs_are_found_in_scanned_urls() {
        assert_eq!(
            twelve_digits("https://cunwu.example.gov.cn/v/411503209202?from=qr").as_deref(),
            Some("411503209202")
        );
        assert_eq!(twelve_digits("4115032092021"), None);
    }
}
