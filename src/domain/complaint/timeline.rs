//! Who took a step of a complaint's timeline.

use std::fmt;

use super::status::ActorKind;

/// The author of one timeline line: the complainant, or a named member of staff.
/// Written as `complainant` or `staff:<name>` (the text the timeline table has always
/// held, and what the staff API shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Complainant,
    /// The staff member's name as their account or token gives it.
    Staff(String),
}

const COMPLAINANT: &str = "complainant";
const STAFF_PREFIX: &str = "staff:";

impl Actor {
    /// Reads the written form; `None` for anything else (an empty staff name included).
    pub fn parse(s: &str) -> Option<Actor> {
        if s == COMPLAINANT {
            return Some(Actor::Complainant);
        }
        let name = s.strip_prefix(STAFF_PREFIX)?;
        (!name.trim().is_empty()).then(|| Actor::Staff(name.to_owned()))
    }

    /// The kind of actor the workflow's rules look at.
    pub fn kind(&self) -> ActorKind {
        match self {
            Actor::Complainant => ActorKind::Complainant,
            Actor::Staff(_) => ActorKind::Staff,
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Complainant => f.write_str(COMPLAINANT),
            Actor::Staff(name) => write!(f, "{STAFF_PREFIX}{name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_form_reads_back() {
        for actor in [Actor::Complainant, Actor::Staff("李四".into())] {
            assert_eq!(Actor::parse(&actor.to_string()), Some(actor));
        }
        assert_eq!(Actor::Staff("李四".into()).to_string(), "staff:李四");
        for bad in ["", "staff:", "staff: ", "Complainant", "handler:李四"] {
            assert_eq!(Actor::parse(bad), None, "{bad}");
        }
    }
}
