//! Query strings read strictly: a parameter given twice is its own, named error
//! (`?signature=a&signature=b` must not leave the reader guessing which one counted).

use serde::de::DeserializeOwned;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("query parameter {0} is given more than once")]
    Duplicate(String),
    #[error("the query string does not parse")]
    Malformed,
}

/// The first parameter name that occurs more than once, if any.
pub fn duplicate(query: &str) -> Option<String> {
    let mut seen = std::collections::BTreeSet::new();
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(name, _)| name.into_owned())
        .find(|name| !seen.insert(name.clone()))
}

/// Parses `query` into `T`, refusing a repeated parameter by name.
pub fn parse<T: DeserializeOwned>(query: &str) -> Result<T, QueryError> {
    if let Some(name) = duplicate(query) {
        return Err(QueryError::Duplicate(name));
    }
    serde_urlencoded_from(query)
}

fn serde_urlencoded_from<T: DeserializeOwned>(query: &str) -> Result<T, QueryError> {
    actix_web::web::Query::<T>::from_query(query)
        .map(actix_web::web::Query::into_inner)
        .map_err(|_| QueryError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Q {
        a: Option<String>,
    }

    #[test]
    fn a_repeated_parameter_is_named() {
        assert_eq!(duplicate("a=1&b=2&a=3").as_deref(), Some("a"));
        assert_eq!(duplicate("a=1&b=2"), None);
        assert_eq!(
            parse::<Q>("a=1&a=2").unwrap_err(),
            QueryError::Duplicate("a".into())
        );
        assert_eq!(parse::<Q>("a=1").unwrap().a.as_deref(), Some("1"));
    }
}
