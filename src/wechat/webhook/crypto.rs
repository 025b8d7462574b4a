//! The safe-mode envelope (消息加解密): AES-256-CBC with key = base64(EncodingAESKey + "="),
//! IV = the key's first 16 bytes, over `16 random bytes ‖ u32 big-endian length ‖ XML ‖
//! AppID`, PKCS#7-padded to 32-byte blocks.
//!
//! Two traps (DESIGN.md): Tencent's own sample keys are non-canonical base64 (their last
//! character carries non-zero spare bits), so the key is decoded leniently; and pads run
//! up to 32 bytes, which the `cbc` crate's PKCS#7 (block 16) refuses, so the padding is
//! added and stripped here. The AppID at the end is always checked.

use aes::Aes256;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::NoPadding};
use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use rand::RngCore;

use super::signature;

type Decryptor = cbc::Decryptor<Aes256>;
type Encryptor = cbc::Encryptor<Aes256>;

/// The block WeChat pads to: the key length, not AES's 16.
const PAD_BLOCK: usize = 32;
/// Random prefix and length field before the message.
const HEADER: usize = 20;

/// Standard alphabet, spare bits allowed, padding optional: how every SDK decodes.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
const STANDARD: GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Why an encrypted message could not be opened (or sealed). Short, safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the EncodingAESKey must be 43 base64 characters")]
    BadKey,
    #[error("Encrypt is not base64")]
    NotBase64,
    #[error("the ciphertext is not a whole number of AES blocks")]
    BadLength,
    #[error("the decrypted padding is invalid")]
    BadPadding,
    #[error("the decrypted frame is malformed")]
    BadFrame,
    #[error("the message was encrypted for another AppID")]
    WrongAppId,
    #[error("the decrypted message is not UTF-8")]
    NotUtf8,
    #[error("the message is too long to encrypt")]
    TooLong,
}

/// An account's key and AppID. Debug never shows the key.
#[derive(Clone)]
pub struct Cipher {
    key: [u8; 32],
    app_id: String,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cipher")
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

/// The four parts of an encrypted passive reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub encrypt: String,
    pub msg_signature: String,
    pub timestamp: String,
    pub nonce: String,
}

impl Sealed {
    /// `<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>`, laid out exactly as
    /// wechatpy writes it.
    pub fn to_xml(&self) -> String {
        format!(
            "<xml>\n<Encrypt><![CDATA[{}]]></Encrypt>\n<MsgSignature><![CDATA[{}]]></MsgSignature>\n\
             <TimeStamp>{}</TimeStamp>\n<Nonce><![CDATA[{}]]></Nonce>\n</xml>",
            self.encrypt, self.msg_signature, self.timestamp, self.nonce
        )
    }
}

impl Cipher {
    /// From the 43-character EncodingAESKey of the WeChat console and the AppID.
    pub fn new(encoding_aes_key: &str, app_id: &str) -> Result<Cipher, CryptoError> {
        let key = encoding_aes_key.trim();
        if key.len() != 43 {
            return Err(CryptoError::BadKey);
        }
        let bytes = LENIENT
            .decode(format!("{key}="))
            .map_err(|_| CryptoError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(Cipher {
            key,
            app_id: app_id.to_owned(),
        })
    }

    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    fn iv(&self) -> [u8; 16] {
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&self.key[..16]);
        iv
    }

    /// Decrypts an `Encrypt` value (or a safe-mode `echostr`) and checks that it was
    /// meant for this AppID. Verify `msg_signature` before calling this.
    pub fn decrypt(&self, encrypt: &str) -> Result<String, CryptoError> {
        let mut data = LENIENT
            .decode(encrypt.trim())
            .map_err(|_| CryptoError::NotBase64)?;
        if data.is_empty() || data.len() % 16 != 0 {
            return Err(CryptoError::BadLength);
        }
        let plain = Decryptor::new(&self.key.into(), &self.iv().into())
            .decrypt_padded_mut::<NoPadding>(&mut data)
            .map_err(|_| CryptoError::BadLength)?;
        let pad = usize::from(*plain.last().ok_or(CryptoError::BadPadding)?);
        if pad == 0 || pad > PAD_BLOCK || pad > plain.len() {
            return Err(CryptoError::BadPadding);
        }
        let (frame, padding) = plain.split_at(plain.len() - pad);
        if padding.iter().any(|&b| usize::from(b) != pad) {
            return Err(CryptoError::BadPadding);
        }
        let length = frame
            .get(16..HEADER)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .ok_or(CryptoError::BadFrame)?;
        let length =
            usize::try_from(u32::from_be_bytes(length)).map_err(|_| CryptoError::BadFrame)?;
        let end = HEADER.checked_add(length).ok_or(CryptoError::BadFrame)?;
        let message = frame.get(HEADER..end).ok_or(CryptoError::BadFrame)?;
        let app_id = frame.get(end..).ok_or(CryptoError::BadFrame)?;
        if app_id != self.app_id.as_bytes() {
            return Err(CryptoError::WrongAppId);
        }
        String::from_utf8(message.to_vec()).map_err(|_| CryptoError::NotUtf8)
    }

    /// Encrypts with a fresh random prefix.
    pub fn encrypt(&self, message: &str) -> Result<String, CryptoError> {
        let mut random = [0u8; 16];
        rand::rng().fill_bytes(&mut random);
        self.encrypt_with(&random, message)
    }

    /// Encrypts with the given 16-byte prefix (deterministic, for test vectors).
    pub fn encrypt_with(&self, random: &[u8; 16], message: &str) -> Result<String, CryptoError> {
        let length = u32::try_from(message.len()).map_err(|_| CryptoError::TooLong)?;
        let unpadded = HEADER + message.len() + self.app_id.len();
        let pad = PAD_BLOCK - unpadded % PAD_BLOCK;
        let mut buf = Vec::with_capacity(unpadded + pad);
        buf.extend_from_slice(random);
        buf.extend_from_slice(&length.to_be_bytes());
        buf.extend_from_slice(message.as_bytes());
        buf.extend_from_slice(self.app_id.as_bytes());
        // `pad` is 1..=32, so it fits a byte.
        buf.resize(unpadded + pad, u8::try_from(pad).unwrap_or(32));
        let len = buf.len();
        let cipher = Encryptor::new(&self.key.into(), &self.iv().into())
            .encrypt_padded_mut::<NoPadding>(&mut buf, len)
            .map_err(|_| CryptoError::BadLength)?;
        Ok(STANDARD.encode(cipher))
    }

    /// Encrypts a passive reply and signs it with `token`, a fresh prefix and nonce.
    pub fn seal(&self, token: &str, message: &str, timestamp: i64) -> Result<Sealed, CryptoError> {
        let mut random = [0u8; 16];
        rand::rng().fill_bytes(&mut random);
        let nonce = (rand::rng().next_u32() % 1_000_000_000).to_string();
        self.seal_with(&random, token, message, &timestamp.to_string(), &nonce)
    }

    /// [`Cipher::seal`] with every random input given.
    pub fn seal_with(
        &self,
        random: &[u8; 16],
        token: &str,
        message: &str,
        timestamp: &str,
        nonce: &str,
    ) -> Result<Sealed, CryptoError> {
        let encrypt = self.encrypt_with(random, message)?;
        let msg_signature = signature::sign(&[token, timestamp, nonce, &encrypt]);
        Ok(Sealed {
            encrypt,
            msg_signature,
            timestamp: timestamp.to_owned(),
            nonce: nonce.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wechat::webhook::test_vectors::{json, text};
    use crate::wechat::webhook::xml;
    use claims::assert_ok;

    fn encrypt_field(file: &str) -> String {
        let body = text(file);
        xml::parse(&body)
            .unwrap()
            .get("Encrypt")
            .unwrap()
            .to_owned()
    }

    fn s(v: &serde_json::Value, k: &str) -> String {
        v[k].as_str().unwrap().to_owned()
    }

    /// The `Encrypt` field of a vector's request, once its msg_signature is checked.
    fn signed_encrypt(p: &serde_json::Value, request: &str) -> String {
        let encrypt = encrypt_field(request);
        assert!(signature::verify(
            &s(p, "msg_signature"),
            &[&s(p, "token"), &s(p, "timestamp"), &s(p, "nonce"), &encrypt]
        ));
        encrypt
    }

    fn params(file: &str) -> impl Fn(&str) -> String + use<> {
        let body = text(file);
        move |k: &str| {
            body.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .unwrap()
                .to_owned()
        }
    }

    #[test]
    fn all_four_sample_keys_decode_including_the_non_canonical_ones() {
        for key in [
            "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
            "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
            "CyjBvGm4tJNmcThkeL5Wajzom4jKlBygKtpTkYeqsnE",
            "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
        ] {
            assert_ok!(Cipher::new(key, "wx"), "{key}");
        }
        for bad in [
            "",
            "short",
            &"a".repeat(44),
            &format!("{}!", "a".repeat(42)),
        ] {
            assert_eq!(Cipher::new(bad, "wx").unwrap_err(), CryptoError::BadKey);
        }
    }

    #[test]
    fn the_official_python_sample_decrypts_in_compatible_layout() {
        let dir = "crypto/official_tencent_python_sample";
        let p = json(&format!("{dir}/params.json"));
        let encrypt = signed_encrypt(&p, &format!("{dir}/from_xml.xml"));
        let cipher = Cipher::new(&s(&p, "encodingAESKey"), &s(&p, "appid")).unwrap();
        assert_eq!(
            cipher.decrypt(&encrypt).unwrap(),
            text(&format!("{dir}/decrypted.DERIVED.xml"))
        );
    }

    #[test]
    fn the_official_csharp_sample_with_a_30_byte_pad_decrypts() {
        let dir = "crypto/official_tencent_csharp_sample";
        let p = json(&format!("{dir}/params.json"));
        let encrypt = signed_encrypt(&p, &format!("{dir}/request.xml"));
        let cipher = Cipher::new(&s(&p, "encodingAESKey"), &s(&p, "appid")).unwrap();
        assert_eq!(
            cipher.decrypt(&encrypt).unwrap(),
            text(&format!("{dir}/decrypted.DERIVED.xml"))
        );
    }

    #[test]
    fn a_full_32_byte_pad_from_a_real_account_decrypts() {
        let dir = "extra/safe-mode/A_chanxuehong_oa_full";
        let p = params(&format!("{dir}/params.txt"));
        let encrypt = text(&format!("{dir}/encrypt.b64"));
        assert!(signature::verify(
            &p("msg_signature"),
            &[&p("token"), &p("timestamp"), &p("nonce"), &encrypt]
        ));
        let cipher = Cipher::new(&p("EncodingAESKey"), &p("AppID")).unwrap();
        assert_eq!(
            cipher.decrypt(&encrypt).unwrap(),
            text(&format!("{dir}/decrypted.xml"))
        );
    }

    #[test]
    fn encryption_with_a_fixed_prefix_matches_wxjava_and_chanxuehong_byte_for_byte() {
        let dir = "crypto/wxjava_WxCryptUtilTest";
        let p = json(&format!("{dir}/params.json"));
        let cipher = Cipher::new(&s(&p, "encodingAesKey"), &s(&p, "appId")).unwrap();
        let random: [u8; 16] = s(&p, "randomStr").as_bytes().try_into().unwrap();
        for (plain, expected) in [
            ("plaintext1.txt", "cipher1.b64"),
            ("plaintext2.xml", "cipher2.b64"),
        ] {
            let plain = text(&format!("{dir}/{plain}"));
            let expected = text(&format!("{dir}/{expected}"));
            assert_eq!(cipher.encrypt_with(&random, &plain).unwrap(), expected);
            assert_eq!(cipher.decrypt(&expected).unwrap(), plain);
        }
        let dir = "extra/safe-mode/B_chanxuehong_encrypt_fixed_random";
        let p = params(&format!("{dir}/params.txt"));
        let cipher = Cipher::new(&p("EncodingAESKey"), &p("AppID")).unwrap();
        let random: [u8; 16] = p("random").as_bytes().try_into().unwrap();
        let plain = text(&format!("{dir}/plaintext.xml"));
        let expected = text(&format!("{dir}/ciphertext.b64"));
        assert_eq!(cipher.encrypt_with(&random, &plain).unwrap(), expected);
    }

    #[test]
    fn a_sealed_reply_matches_wechatpy_exactly() {
        let dir = "crypto/wechatpy_work_test_crypto";
        let cipher = Cipher::new(
            "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
            "wx49f0ab532d5d035a",
        )
        .unwrap();
        let sealed = cipher
            .seal_with(
                b"1234567890123456",
                "123456",
                &text(&format!("{dir}/encrypt_input.xml")),
                "1411525903",
                "461056294",
            )
            .unwrap();
        assert_eq!(
            sealed.to_xml(),
            text(&format!("{dir}/encrypt_expected.xml"))
        );
    }

    #[test]
    fn wechatpy_messages_and_verification_echoes_decrypt() {
        let dir = "crypto/wechatpy_work_test_crypto";
        let cipher = Cipher::new(
            "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
            "wx49f0ab532d5d035a",
        )
        .unwrap();
        let encrypt = encrypt_field(&format!("{dir}/decrypt_input.xml"));
        assert!(signature::verify(
            "74d92dfeb87ba7c714f89d98870ae5eb62dff26d",
            &["123456", "1411525903", "461056294", &encrypt]
        ));
        assert_eq!(
            cipher.decrypt(&encrypt).unwrap(),
            text(&format!("{dir}/decrypt_output.DERIVED.xml"))
        );
        let v = json(&format!("{dir}/verify_url.json"));
        assert!(signature::verify(
            &s(&v, "msg_signature"),
            &[
                &s(&v, "token"),
                &s(&v, "timestamp"),
                &s(&v, "nonce"),
                &s(&v, "echostr")
            ]
        ));
        assert_eq!(
            cipher.decrypt(&s(&v, "echostr")).unwrap(),
            "5927782489442352469"
        );
    }

    #[test]
    fn a_message_for_another_app_id_is_refused() {
        // easywechat: right AppID opens it, a wrong one is refused.
        let dir = "crypto/easywechat_EncryptorTest";
        let p = json(&format!("{dir}/params.json"));
        let encrypt = signed_encrypt(&p, &format!("{dir}/encrypted.xml"));
        let right = Cipher::new(&s(&p, "encodingAESKey"), &s(&p, "appId")).unwrap();
        assert_eq!(
            right.decrypt(&encrypt).unwrap(),
            text(&format!("{dir}/decrypted.DERIVED.xml"))
        );
        let wrong = Cipher::new(&s(&p, "encodingAESKey"), "wxb11529c136998cb7").unwrap();
        assert_eq!(wrong.decrypt(&encrypt), Err(CryptoError::WrongAppId));
        // PowerWeChat's own test decrypts a message for wwedab3d5fc43636d8 with AppID
        // 1000005 because it never checks; we refuse it.
        let dir = "crypto/powerwechat_Encryptor_test";
        let p = json(&format!("{dir}/params.json"));
        let encrypt = encrypt_field(&format!("{dir}/ciphertext.xml"));
        let theirs = Cipher::new(&s(&p, "encodingAesKey"), &s(&p, "appID")).unwrap();
        assert_eq!(theirs.decrypt(&encrypt), Err(CryptoError::WrongAppId));
        let corp = Cipher::new(&s(&p, "encodingAesKey"), "wwedab3d5fc43636d8").unwrap();
        assert_eq!(
            corp.decrypt(&encrypt).unwrap(),
            text(&format!("{dir}/decrypted.xml"))
        );
        let verify = &p["verify_url"];
        assert_eq!(
            corp.decrypt(verify["echostr"].as_str().unwrap()).unwrap(),
            verify["expect"].as_str().unwrap()
        );
    }

    #[test]
    fn damaged_ciphertext_is_a_clean_error() {
        let cipher = Cipher::new("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx1").unwrap();
        let good = cipher.encrypt("<xml/>").unwrap();
        assert_eq!(cipher.decrypt("***"), Err(CryptoError::NotBase64));
        assert_eq!(cipher.decrypt(""), Err(CryptoError::BadLength));
        assert_eq!(cipher.decrypt("AAAA"), Err(CryptoError::BadLength));
        let mut bytes = STANDARD.decode(&good).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x55;
        let err = cipher.decrypt(&STANDARD.encode(&bytes)).unwrap_err();
        assert!(
            matches!(err, CryptoError::BadPadding | CryptoError::BadFrame),
            "{err:?}"
        );
        assert_eq!(cipher.decrypt(&good).unwrap(), "<xml/>");
    }
}
