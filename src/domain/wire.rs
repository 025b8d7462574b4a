//! [`wire_enum!`]: an enum whose variants each have one fixed text (WeChat's `<Event>`
//! names, a stored status, a menu button's `type`), declared once. Each variant names
//! its text, and where people read it a Chinese label, on the same line; the macro
//! writes the enum, `ALL`, `as_str`, `parse` (exact match) and `label`, so adding a
//! kind is one line and the lists cannot drift apart.
//!
//! ```text
//! wire_enum! {
//!     #[derive(Debug, Clone, Copy, PartialEq, Eq)]
//!     pub enum Satisfaction {
//!         Satisfied("satisfied", "满意"),
//!         NotSatisfied("not_satisfied", "不满意"),
//!     }
//! }
//! ```
//!
//! `pub enum EventKind of Event { Subscribe("subscribe"), … }` also writes
//! `Event::kind()`, for a data enum whose variants carry the same names.

macro_rules! wire_enum {
    // Variants with a text and a label.
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident($wire:literal, $label:literal) ),+ $(,)?
        }
    ) => {
        $crate::domain::wire::wire_enum! {
            $(#[$meta])*
            $vis enum $name { $( $(#[$vmeta])* $variant($wire) ),+ }
        }

        impl $name {
            /// What followers and staff read.
            pub fn label(self) -> &'static str {
                match self {
                    $( $name::$variant => $label ),+
                }
            }
        }
    };
    // Variants with a text, mirrored by the same-named variants of a data enum.
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident of $data:ident {
            $( $(#[$vmeta:meta])* $variant:ident($wire:literal) ),+ $(,)?
        }
    ) => {
        $crate::domain::wire::wire_enum! {
            $(#[$meta])*
            $vis enum $name { $( $(#[$vmeta])* $variant($wire) ),+ }
        }

        impl $data {
            /// Which kind this is.
            pub fn kind(&self) -> $name {
                match self {
                    $( $data::$variant { .. } => $name::$variant ),+
                }
            }
        }
    };
    // Variants with a text.
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident($wire:literal) ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; [$($wire),+].len()] = [$( $name::$variant ),+];

            /// The text on the wire (and in the database).
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $wire ),+
                }
            }

            /// The variant whose text is exactly `s`.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $( $wire => Some($name::$variant), )+
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use wire_enum;

#[cfg(test)]
mod tests {
    wire_enum! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Colour {
            Red("red", "红"),
            DarkBlue("dark_blue", "深蓝"),
        }
    }

    #[derive(Debug)]
    #[allow(dead_code, reason = "only the variants' names matter here")]
    enum Shape {
        Dot,
        Line(u32),
        Box { w: u32, h: u32 },
    }

    wire_enum! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum ShapeKind of Shape {
            Dot("dot"),
            Line("line"),
            Box("box"),
        }
    }

    #[test]
    fn one_declaration_gives_every_list() {
        assert_eq!(Colour::ALL, [Colour::Red, Colour::DarkBlue]);
        for c in Colour::ALL {
            assert_eq!(Colour::parse(c.as_str()), Some(c));
        }
        assert_eq!(Colour::DarkBlue.as_str(), "dark_blue");
        assert_eq!(Colour::DarkBlue.label(), "深蓝");
        assert_eq!(Colour::parse("Red"), None, "exact match only");
        assert_eq!(Shape::Line(3).kind(), ShapeKind::Line);
        assert_eq!(Shape::Box { w: 1, h: 2 }.kind().as_str(), "box");
        assert_eq!(Shape::Dot.kind(), ShapeKind::Dot);
        assert_eq!(ShapeKind::parse("dot"), Some(ShapeKind::ALL[0]));
    }
}
