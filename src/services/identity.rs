//! Opening who filed a complaint. Only this module decrypts a complaint's identity, so
//! each caller's reason is visible here: a member of staff whose role may see it (the
//! caller writes the audit line), the complainant on their own page, the service when
//! it queues a push. Ownership is checked by the lookup hash, without decrypting.

use crate::crypto::{CryptoError, Purpose, Vault};
use crate::domain::OpenId;
use crate::storage::complaints::{SealedIdentity, field};

/// A complaint's identity in the clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub openid: OpenId,
    pub name: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The retention period ended: the key is gone, and so is the identity.
    #[error("complaint {0}: the identity was destroyed when its retention period ended")]
    Shredded(i64),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("complaint {0}: no sealed identity is stored")]
    Missing(i64),
    #[error("complaint {0}: the decrypted openid is invalid")]
    Invalid(i64),
}

impl From<IdentityError> for sqlx::Error {
    /// A ciphertext that does not open is a stored value that cannot be trusted.
    fn from(e: IdentityError) -> sqlx::Error {
        sqlx::Error::Decode(Box::new(e))
    }
}

/// Whether `openid` filed the complaint: a match of the stored lookup hash.
pub fn is_owner(vault: &Vault, identity: &SealedIdentity, openid: &OpenId) -> bool {
    identity
        .openid_hash
        .as_deref()
        .is_some_and(|h| vault.matches(Purpose::ComplaintOpenid, openid.as_str(), h))
}

/// Decrypts the complainant's openid, name and phone.
pub fn open(vault: &Vault, identity: &SealedIdentity) -> Result<Opened, IdentityError> {
    let id = identity.complaint_id;
    if identity.shredded_at.is_some() {
        return Err(IdentityError::Shredded(id));
    }
    let wrapped = identity.key.as_ref().ok_or(IdentityError::Missing(id))?;
    let key = vault.unwrap(wrapped).map_err(|e| match e {
        CryptoError::Shredded { .. } => IdentityError::Shredded(id),
        other => IdentityError::Crypto(other),
    })?;
    let sealed_openid = identity
        .openid
        .as_deref()
        .ok_or(IdentityError::Missing(id))?;
    let openid = key.open_text(&field(id, "openid"), sealed_openid)?;
    let openid = OpenId::parse(&openid).map_err(|_| IdentityError::Invalid(id))?;
    let name = identity
        .name
        .as_deref()
        .map(|s| key.open_text(&field(id, "name"), s))
        .transpose()?;
    let phone = identity
        .phone
        .as_deref()
        .map(|s| key.open_text(&field(id, "phone"), s))
        .transpose()?;
    Ok(Opened {
        openid,
        name,
        phone,
    })
}

/// The complainant's openid for a push; `None` once shredded (nobody to tell).
pub fn openid_for_push(
    vault: &Vault,
    identity: &SealedIdentity,
) -> Result<Option<OpenId>, IdentityError> {
    match open(vault, identity) {
        Ok(o) => Ok(Some(o.openid)),
        Err(IdentityError::Shredded(_)) => Ok(None),
        Err(e) => Err(e),
    }
}
