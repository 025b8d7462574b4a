//! A complaint form's draft, kept while the follower chooses the village on another
//! page, so that nothing typed is lost on the way (the pages need no script, so the
//! form itself carries its fields to the server). Stored in the key-value store for a
//! day under a key derived from the follower and the form: nobody else's form can name
//! it, and no openid sits in a key. Photos are not part of a draft.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::OpenId;
use crate::kv::{Kv, KvError};

/// How long a draft waits for its follower to come back from the village chooser.
const LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// Longest kept length of each field, in characters: the form's own limits, so a
/// draft never holds more than a submission may.
const MAX_CONTENT: usize = 2000;
const MAX_SHORT: usize = 40;

/// What was typed into the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub village: String,
    pub category: String,
    pub content: String,
    pub name: String,
    pub phone: String,
    pub anonymous: bool,
    /// Photos had been chosen: they do not travel with a draft and must be chosen again.
    pub had_photos: bool,
    /// The disclosure asked about (`123v2`, from 对这条公开有疑问), carried as typed.
    #[serde(default)]
    pub about: String,
}

impl Draft {
    /// The draft cut to the form's limits.
    fn bounded(mut self) -> Draft {
        fn cut(s: &mut String, max: usize) {
            if let Some((at, _)) = s.char_indices().nth(max) {
                s.truncate(at);
            }
        }
        cut(&mut self.content, MAX_CONTENT);
        for s in [
            &mut self.village,
            &mut self.category,
            &mut self.name,
            &mut self.phone,
            &mut self.about,
        ] {
            cut(s, MAX_SHORT);
        }
        self
    }
}

fn key(openid: &OpenId, form_key: &Uuid) -> String {
    let digest = Sha256::new()
        .chain_update(openid.as_str().as_bytes())
        .chain_update(b":")
        .chain_update(form_key.as_bytes())
        .finalize();
    format!("complaint:draft:{}", hex::encode(digest))
}

pub async fn save(kv: &Kv, openid: &OpenId, form_key: &Uuid, draft: Draft) -> Result<(), KvError> {
    let json = serde_json::to_string(&draft.bounded()).unwrap_or_default();
    kv.set(&key(openid, form_key), &json, LIFETIME).await
}

/// The follower's draft of this form, if there is one.
pub async fn load(kv: &Kv, openid: &OpenId, form_key: &Uuid) -> Result<Option<Draft>, KvError> {
    Ok(kv
        .get(&key(openid, form_key))
        .await?
        .and_then(|json| serde_json::from_str(&json).ok()))
}

/// Forgets the draft once the complaint is stored.
pub async fn discard(kv: &Kv, openid: &OpenId, form_key: &Uuid) -> Result<(), KvError> {
    kv.delete(&key(openid, form_key)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn openid(c: char) -> OpenId {
        OpenId::parse(&format!("o{}", c.to_string().repeat(27))).unwrap()
    }

    #[tokio::test]
    async fn a_draft_comes_back_only_for_its_follower_and_form() {
        let kv = Kv::memory("t:");
        let form = Uuid::new_v4();
        let draft = Draft {
            content: "村东头的路修了一半".into(),
            name: "王".into(),
            category: "project".into(),
            had_photos: true,
            ..Draft::default()
        };
        save(&kv, &openid('A'), &form, draft.clone()).await.unwrap();
        assert_eq!(load(&kv, &openid('A'), &form).await.unwrap(), Some(draft));
        assert_eq!(load(&kv, &openid('B'), &form).await.unwrap(), None);
        assert_eq!(
            load(&kv, &openid('A'), &Uuid::new_v4()).await.unwrap(),
            None
        );
        discard(&kv, &openid('A'), &form).await.unwrap();
        assert_eq!(load(&kv, &openid('A'), &form).await.unwrap(), None);
    }

    #[test]
    fn a_draft_keeps_no_more_than_the_form_allows() {
        let d = Draft {
            content: "字".repeat(2500),
            name: "名".repeat(100),
            ..Draft::default()
        }
        .bounded();
        assert_eq!(d.content.chars().count(), 2000);
        assert_eq!(d.name.chars().count(), 40);
    }
}
