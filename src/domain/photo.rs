//! A photo as the service keeps it: decoded and encoded again, so nothing but pixels
//! survives. A phone's JPEG carries EXIF (GPS position, phone model, serial numbers,
//! time), XMP and IPTC blocks; any of them can unmask an anonymous complainant to the
//! unit a complaint is assigned to. Re-encoding is the reliable way to drop every one of
//! them, including those in segments a metadata stripper does not know. The EXIF
//! orientation is applied first, so the picture still stands the right way up.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// Larger photos are scaled down to this many pixels on their longer side: more than
/// enough to see a pothole or a notice board, and it bounds what is stored per photo.
pub const MAX_SIDE: u32 = 4096;
/// Pictures claiming more than this per side are refused before they are decoded.
const MAX_DECODED_SIDE: u32 = 16_384;
/// The decoder's allocation limit: a 16-megapixel RGBA picture, with room.
const MAX_DECODE_ALLOC: u64 = 256 * 1024 * 1024;
const JPEG_QUALITY: u8 = 85;

/// A picture holding nothing but its pixels: only [`Photo::clean`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    content_type: &'static str,
    bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PhotoError {
    #[error("not a JPEG or PNG picture")]
    NotAPicture,
    #[error("the picture cannot be read: {0}")]
    Unreadable(String),
    #[error("the picture is too large to read")]
    TooLarge,
}

impl Photo {
    /// Decodes a JPEG or PNG (recognised by its content), turns it the way its EXIF
    /// orientation says, scales it to at most [`MAX_SIDE`] and encodes it again in the
    /// same format, without any metadata. CPU-bound: run it off the async threads.
    pub fn clean(bytes: &[u8]) -> Result<Photo, PhotoError> {
        Photo::clean_within(bytes, MAX_SIDE)
    }

    /// [`Photo::clean`], scaled to at most `max_side` pixels on the longer side (a
    /// receipt shown small in a table).
    pub fn clean_within(bytes: &[u8], max_side: u32) -> Result<Photo, PhotoError> {
        let max_side = max_side.clamp(1, MAX_SIDE);
        let format = sniff(bytes).ok_or(PhotoError::NotAPicture)?;
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_DECODED_SIDE);
        limits.max_image_height = Some(MAX_DECODED_SIDE);
        limits.max_alloc = Some(MAX_DECODE_ALLOC);
        reader.limits(limits);
        let mut decoder = reader.into_decoder().map_err(read_error)?;
        let orientation = decoder.orientation().map_err(read_error)?;
        let mut picture = DynamicImage::from_decoder(decoder).map_err(read_error)?;
        picture.apply_orientation(orientation);
        if picture.width().max(picture.height()) > max_side {
            picture = picture.resize(max_side, max_side, image::imageops::FilterType::Triangle);
        }
        let mut out = Vec::new();
        let content_type = match format {
            ImageFormat::Png => {
                let picture = match picture {
                    DynamicImage::ImageLuma8(_)
                    | DynamicImage::ImageLumaA8(_)
                    | DynamicImage::ImageRgb8(_)
                    | DynamicImage::ImageRgba8(_) => picture,
                    other => DynamicImage::ImageRgba8(other.to_rgba8()),
                };
                picture
                    .write_with_encoder(PngEncoder::new(&mut out))
                    .map_err(read_error)?;
                "image/png"
            }
            _ => {
                // JPEG has no alpha channel, and CMYK or 16-bit input becomes RGB.
                let picture = DynamicImage::ImageRgb8(picture.to_rgb8());
                picture
                    .write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
                    .map_err(read_error)?;
                "image/jpeg"
            }
        };
        Ok(Photo {
            content_type,
            bytes: out,
        })
    }

    pub fn content_type(&self) -> &'static str {
        self.content_type
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// The format by the file's first bytes, never by its name or declared type.
fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF];
    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    if bytes.starts_with(JPEG) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(PNG) {
        Some(ImageFormat::Png)
    } else {
        None
    }
}

fn read_error(e: image::ImageError) -> PhotoError {
    match e {
        image::ImageError::Limits(_) => PhotoError::TooLarge,
        other => PhotoError::Unreadable(other.to_string()),
    }
}

#[doc(hidden)]
pub mod testing {
    //! Pictures for the unit and black-box tests: a JPEG carrying the metadata a phone
    //! writes. Compiled always, since the black-box tests link the library as it ships.

    use image::codecs::jpeg::JpegEncoder;
    use image::{DynamicImage, RgbImage};

    /// The phone model written into [`jpeg_with_gps`]'s EXIF.
    pub const PHONE_MODEL: &str = "HUAWEI Mate 60 Pro";

    /// A `width` × `height` JPEG whose EXIF says: orientation 6 (turn 90° clockwise to
    /// view), made by a phone model, taken at a GPS position near 王岗乡.
    pub fn jpeg_with_gps(width: u32, height: u32) -> Vec<u8> {
        let picture = DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, _| {
            if x < width / 2 {
                image::Rgb([200, 30, 30])
            } else {
                image::Rgb([30, 30, 200])
            }
        }));
        let mut plain = Vec::new();
        picture
            .write_with_encoder(JpegEncoder::new_with_quality(&mut plain, 90))
            .unwrap_or_default();
        let exif = exif_block();
        let mut app1 = vec![0xFF, 0xE1];
        let length = u16::try_from(exif.len() + 2).unwrap_or(u16::MAX);
        app1.extend_from_slice(&length.to_be_bytes());
        app1.extend_from_slice(&exif);
        // SOI, then our APP1, then the rest of the encoder's file.
        let mut out = plain.get(..2).unwrap_or_default().to_vec();
        out.extend_from_slice(&app1);
        out.extend_from_slice(plain.get(2..).unwrap_or_default());
        out
    }

    /// `Exif\0\0` + a big-endian TIFF with IFD0 (Make, Model, Orientation, GPS pointer)
    /// and a GPS IFD (latitude 32°7'N, longitude 114°4'E).
    fn exif_block() -> Vec<u8> {
        struct Entry {
            tag: u16,
            kind: u16,
            count: u32,
            value: Vec<u8>,
        }
        fn ascii(tag: u16, s: &str) -> Entry {
            let mut value = s.as_bytes().to_vec();
            value.push(0);
            Entry {
                tag,
                kind: 2,
                count: u32::try_from(value.len()).unwrap_or(0),
                value,
            }
        }
        fn rationals(tag: u16, parts: &[(u32, u32)]) -> Entry {
            let mut value = Vec::new();
            for (n, d) in parts {
                value.extend_from_slice(&n.to_be_bytes());
                value.extend_from_slice(&d.to_be_bytes());
            }
            Entry {
                tag,
                kind: 5,
                count: u32::try_from(parts.len()).unwrap_or(0),
                value,
            }
        }
        // Writes one IFD at `start` (offset within the TIFF); returns its bytes.
        fn ifd(start: u32, entries: &[Entry]) -> Vec<u8> {
            let count = u32::try_from(entries.len()).unwrap_or(0);
            let mut data_at = start + 2 + 12 * count + 4;
            let (mut head, mut data) = (Vec::new(), Vec::new());
            head.extend_from_slice(&u16::try_from(count).unwrap_or(0).to_be_bytes());
            for e in entries {
                head.extend_from_slice(&e.tag.to_be_bytes());
                head.extend_from_slice(&e.kind.to_be_bytes());
                head.extend_from_slice(&e.count.to_be_bytes());
                if e.value.len() <= 4 {
                    let mut inline = e.value.clone();
                    inline.resize(4, 0);
                    head.extend_from_slice(&inline);
                } else {
                    head.extend_from_slice(&data_at.to_be_bytes());
                    data.extend_from_slice(&e.value);
                    data_at += u32::try_from(e.value.len()).unwrap_or(0);
                }
            }
            head.extend_from_slice(&0u32.to_be_bytes());
            head.extend_from_slice(&data);
            head
        }
        let gps = [
            ascii(0x0001, "N"),
            rationals(0x0002, &[(32, 1), (7, 1), (1234, 100)]),
            ascii(0x0003, "E"),
            rationals(0x0004, &[(114, 1), (4, 1), (5678, 100)]),
        ];
        let ifd0_len = |gps_at: u32| {
            ifd(
                8,
                &[
                    ascii(0x010F, "HUAWEI"),
                    ascii(0x0110, PHONE_MODEL),
                    Entry {
                        tag: 0x0112,
                        kind: 3,
                        count: 1,
                        value: vec![0, 6],
                    },
                    Entry {
                        tag: 0x8825,
                        kind: 4,
                        count: 1,
                        value: gps_at.to_be_bytes().to_vec(),
                    },
                ],
            )
        };
        let gps_at = 8 + u32::try_from(ifd0_len(0).len()).unwrap_or(0);
        let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
        tiff.extend_from_slice(&ifd0_len(gps_at));
        tiff.extend_from_slice(&ifd(gps_at, &gps));
        let mut block = b"Exif\0\0".to_vec();
        block.extend_from_slice(&tiff);
        block
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{PHONE_MODEL, jpeg_with_gps};
    use super::*;

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn the_test_picture_really_carries_gps_and_the_phone_model() {
        let original = jpeg_with_gps(40, 20);
        assert!(contains(&original, b"Exif\0\0"));
        assert!(contains(&original, PHONE_MODEL.as_bytes()));
        let decoder = ImageReader::with_format(Cursor::new(&original), ImageFormat::Jpeg)
            .into_decoder()
            .unwrap();
        let mut decoder = decoder;
        assert_eq!(
            decoder.orientation().unwrap(),
            image::metadata::Orientation::Rotate90
        );
    }

    #[test]
    fn cleaning_drops_every_metadata_block_and_applies_the_orientation() {
        let cleaned = Photo::clean(&jpeg_with_gps(40, 20)).unwrap();
        assert_eq!(cleaned.content_type(), "image/jpeg");
        for marker in [
            b"Exif".as_slice(),
            PHONE_MODEL.as_bytes(),
            b"HUAWEI",
            b"http://ns.adobe.com/xap",
            b"Photoshop 3.0",
        ] {
            assert!(!contains(cleaned.bytes(), marker), "{marker:?} survived");
        }
        // No APP1 (EXIF/XMP) or APP13 (IPTC) segment at all.
        assert!(!contains(cleaned.bytes(), &[0xFF, 0xE1]));
        assert!(!contains(cleaned.bytes(), &[0xFF, 0xED]));
        let picture = image::load_from_memory(cleaned.bytes()).unwrap();
        // 40 × 20 turned a quarter clockwise stands 20 wide and 40 high.
        assert_eq!((picture.width(), picture.height()), (20, 40));
        // The left (red) half is now at the top.
        let top = picture.to_rgb8().get_pixel(10, 2).0;
        assert!(top[0] > 150 && top[2] < 100, "{top:?}");
    }

    #[test]
    fn a_png_is_encoded_again_without_its_text_chunks() {
        let mut png = Vec::new();
        DynamicImage::new_rgb8(8, 8)
            .write_with_encoder(PngEncoder::new(&mut png))
            .unwrap();
        // A tEXt chunk inserted after IHDR (8-byte signature + 25-byte IHDR chunk).
        let text = b"tEXtLocation\x0032.12,114.08";
        let mut chunk = u32::try_from(text.len() - 4)
            .unwrap()
            .to_be_bytes()
            .to_vec();
        chunk.extend_from_slice(text);
        chunk.extend_from_slice(&crc32(text).to_be_bytes());
        let mut tagged = png[..33].to_vec();
        tagged.extend_from_slice(&chunk);
        tagged.extend_from_slice(&png[33..]);
        assert!(image::load_from_memory(&tagged).is_ok());
        let cleaned = Photo::clean(&tagged).unwrap();
        assert_eq!(cleaned.content_type(), "image/png");
        assert!(!contains(cleaned.bytes(), b"Location"));
    }

    #[test]
    fn anything_else_is_refused() {
        assert_eq!(Photo::clean(b"GIF89a...."), Err(PhotoError::NotAPicture));
        assert!(matches!(
            Photo::clean(&[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]),
            Err(PhotoError::Unreadable(_))
        ));
    }

    #[test]
    fn large_pictures_are_scaled_to_the_longest_side_allowed() {
        let mut big = Vec::new();
        DynamicImage::new_rgb8(MAX_SIDE + 200, 100)
            .write_with_encoder(JpegEncoder::new_with_quality(&mut big, 50))
            .unwrap();
        let picture = image::load_from_memory(Photo::clean(&big).unwrap().bytes()).unwrap();
        assert_eq!(picture.width(), MAX_SIDE);
    }

    /// PNG's CRC-32 (ISO-HDLC), for the hand-made chunk.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
