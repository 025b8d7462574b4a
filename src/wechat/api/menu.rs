//! The custom menu: reading and checking `menu.json` offline (WeChat's limits and the
//! router's click keys), and menu/create, menu/get and menu/delete. Pushing checks first
//! and calls nothing when the menu is invalid.

use std::path::Path;

use serde_json::Value;

use super::{ApiError, Call, ErrCode, WechatApi};
use crate::domain::menu::{HandledKeys, Menu, Violation, unhandled_click_keys};

/// Why a menu file cannot be used; every problem is listed.
#[derive(Debug, thiserror::Error)]
pub enum MenuFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not JSON: {source}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path} is not a valid menu ({} problem(s))", .violations.len())]
    Invalid {
        path: String,
        violations: Vec<Violation>,
    },
}

/// Largest menu file read; a full menu is about 2 KB.
const MAX_MENU_FILE_BYTES: u64 = 256 * 1024;

/// Reads and checks a menu file: WeChat's rules, then that every click key has a
/// handler. View paths become absolute under `public_base`.
pub fn load(path: &Path, public_base: &str, handled: &HandledKeys) -> Result<Menu, MenuFileError> {
    let shown = path.display().to_string();
    let read = |source| MenuFileError::Read {
        path: shown.clone(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read)?.len();
    if size > MAX_MENU_FILE_BYTES {
        return Err(read(std::io::Error::other(format!(
            "{size} bytes is more than a menu needs ({MAX_MENU_FILE_BYTES})"
        ))));
    }
    let text = std::fs::read_to_string(path).map_err(read)?;
    let json: Value = serde_json::from_str(&text).map_err(|source| MenuFileError::Json {
        path: shown.clone(),
        source,
    })?;
    check(&json, public_base, handled).map_err(|violations| MenuFileError::Invalid {
        path: shown,
        violations,
    })
}

/// The checks of [`load`] on a parsed document.
pub fn check(
    json: &Value,
    public_base: &str,
    handled: &HandledKeys,
) -> Result<Menu, Vec<Violation>> {
    let menu = Menu::parse(json, public_base).map_err(|e| e.0)?;
    let unhandled = unhandled_click_keys(&menu, handled);
    if unhandled.is_empty() {
        Ok(menu)
    } else {
        Err(unhandled)
    }
}

/// Why `menu push` did not replace the menu.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error(transparent)]
    File(#[from] MenuFileError),
    #[error("WeChat refused the menu: {0}")]
    Api(#[from] ApiError),
}

/// Checks the file and, only when it is valid, replaces the account's menu with it.
pub async fn push(
    api: &WechatApi,
    path: &Path,
    public_base: &str,
    handled: &HandledKeys,
) -> Result<Menu, PushError> {
    let menu = load(path, public_base, handled)?;
    api.create_menu(&menu).await?;
    Ok(menu)
}

impl WechatApi {
    /// `POST /cgi-bin/menu/create`: replaces the default menu.
    pub async fn create_menu(&self, menu: &Menu) -> Result<(), ApiError> {
        let _: Value = self
            .call(Call::post_json("/cgi-bin/menu/create", menu.to_json()))
            .await?;
        tracing::info!(buttons = menu.buttons().len(), "menu pushed to WeChat");
        Ok(())
    }

    /// `GET /cgi-bin/menu/get`: the menu as WeChat holds it, `None` when none is set.
    pub async fn get_menu(&self) -> Result<Option<Value>, ApiError> {
        match self.call(Call::get("/cgi-bin/menu/get")).await {
            Ok(v) => Ok(Some(v)),
            Err(ApiError::Wechat {
                code: ErrCode::MenuNotExist,
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /cgi-bin/menu/delete`: removes the default and every conditional menu.
    pub async fn delete_menu(&self) -> Result<(), ApiError> {
        let _: Value = self.call(Call::get("/cgi-bin/menu/delete")).await?;
        tracing::info!("menu deleted on WeChat");
        Ok(())
    }
}
