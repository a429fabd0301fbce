//! The string pools of the generated table: URLs, titles, referers, search phrases, phone
//! models and regions. A pool entry is a pure function of its index (no tables of strings),
//! so pools of any size cost nothing to build; popularity comes from the Zipf rank drawn by
//! the generator.

use crate::rng::mix2;
use crate::tsv::push_int;

/// Words of search phrases and titles (Russian and English, as in the real data).
const WORDS: [&str; 64] = [
    "купить",
    "погода",
    "москва",
    "авито",
    "ноутбук",
    "iphone",
    "samsung",
    "работа",
    "рецепт",
    "карта",
    "фильм",
    "онлайн",
    "бесплатно",
    "цена",
    "отзывы",
    "скачать",
    "игры",
    "музыка",
    "новости",
    "квартира",
    "аренда",
    "авто",
    "шины",
    "диван",
    "платье",
    "телефон",
    "планшет",
    "lenovo",
    "asus",
    "nokia",
    "sony",
    "lg",
    "weather",
    "news",
    "music",
    "game",
    "online",
    "free",
    "download",
    "video",
    "schedule",
    "price",
    "review",
    "cheap",
    "best",
    "2013",
    "map",
    "hotel",
    "санкт-петербург",
    "екатеринбург",
    "казань",
    "сочи",
    "турция",
    "египет",
    "отели",
    "билеты",
    "расписание",
    "электрички",
    "вконтакте",
    "одноклассники",
    "яндекс",
    "гугл",
    "ремонт",
    "мебель",
];

/// Sites of general URLs and of referers, most popular referer first.
const DOMAINS: [&str; 40] = [
    "yandex.ru",
    "google.ru",
    "mail.ru",
    "vk.com",
    "avito.ru",
    "odnoklassniki.ru",
    "liveinternet.ru",
    "rambler.ru",
    "auto.ru",
    "kinopoisk.ru",
    "irr.ru",
    "livejournal.com",
    "youtube.com",
    "wikipedia.org",
    "market.yandex.ru",
    "images.yandex.ru",
    "news.mail.ru",
    "facebook.com",
    "twitter.com",
    "ria.ru",
    "lenta.ru",
    "rbc.ru",
    "gismeteo.ru",
    "hh.ru",
    "ozon.ru",
    "wildberries.ru",
    "drom.ru",
    "cian.ru",
    "afisha.ru",
    "sports.ru",
    "championat.com",
    "kp.ru",
    "aif.ru",
    "gazeta.ru",
    "bing.com",
    "tut.by",
    "ukr.net",
    "i.ua",
    "nur.kz",
    "ya.ru",
];

/// Path sections of URLs.
const SECTIONS: [&str; 16] = [
    "catalog", "item", "news", "list", "view", "search", "cars", "realty", "job", "forum", "photo",
    "video", "profile", "cart", "help", "blog",
];

/// Site titles of general pages.
const SITE_TITLES: [&str; 12] = [
    "Авито",
    "Новости",
    "Кино",
    "Спорт",
    "Погода",
    "Авто",
    "Работа",
    "Недвижимость",
    "Одноклассники",
    "ВКонтакте",
    "Почта",
    "Карты",
];

/// Mobile phone models, most popular first.
pub const MODELS: [&str; 40] = [
    "iPad",
    "iPhone",
    "GT-I9300",
    "GT-I9100",
    "GT-N7100",
    "GT-S5830",
    "HTC One",
    "Lumia 920",
    "Nexus 4",
    "Xperia Z",
    "GT-P5100",
    "A820",
    "MB525",
    "U8860",
    "ST25i",
    "GT-I8160",
    "GT-S7562",
    "GT-I9500",
    "GT-P3100",
    "LG-P760",
    "HTC Desire",
    "Lumia 520",
    "A369i",
    "GT-S5360",
    "Xperia S",
    "LT26i",
    "GT-N8000",
    "Kindle Fire",
    "Nexus 7",
    "S820",
    "P780",
    "GT-I8190",
    "SGH-T999",
    "XT910",
    "C6603",
    "ME173X",
    "K900",
    "A1000",
    "W8510",
    "N9005",
];

/// The most frequent regions (RegionID), most popular first; rarer ones are synthetic.
const REGIONS: [i64; 20] = [
    229, 2, 208, 1, 34, 158, 184, 107, 42, 47, 225, 54, 11, 35, 187, 10, 43, 66, 51, 39,
];

/// The site of CounterID 62.
pub const SITE62: &str = "http://afisha62.ru/";

/// The referer whose `RefererHash` is the one Q40 filters on.
pub const Q40_REFERER: &str = "http://yandex.ru/clck/jsredir?from=yandex.ru;search;web;;";

fn word(h: u64) -> &'static str {
    WORDS[(h % WORDS.len() as u64) as usize]
}

/// The RegionID of region rank `rank`.
pub fn region(rank: usize) -> i64 {
    REGIONS.get(rank).copied().unwrap_or(1000 + rank as i64 * 7)
}

/// The phone model of model rank `rank` (`rank < MODELS.len()`).
pub fn model(rank: usize) -> &'static str {
    MODELS[rank % MODELS.len()]
}

/// Writes general URL `idx` (about 2% of them mention `google`).
pub fn general_url(idx: u64, out: &mut Vec<u8>) {
    out.clear();
    let h = mix2(0x5552_4c00, idx);
    match h % 100 {
        0 => {
            out.extend_from_slice(b"http://www.google.ru/search?q=");
            out.extend_from_slice(word(h >> 8).as_bytes());
            out.extend_from_slice(b"&lr=");
            push_int(out, idx as i64);
        }
        1 if (h >> 20) & 1 == 0 => {
            out.extend_from_slice(b"http://maps.google.com/maps?ll=55.");
            push_int(out, idx as i64);
        }
        1 => {
            out.extend_from_slice(b"https://go.mail.ru/search?utm_source=google&id=");
            push_int(out, idx as i64);
        }
        _ => {
            out.extend_from_slice(if (h >> 40).is_multiple_of(7) {
                b"https://"
            } else {
                b"http://"
            });
            out.extend_from_slice(DOMAINS[((h >> 8) % DOMAINS.len() as u64) as usize].as_bytes());
            out.push(b'/');
            out.extend_from_slice(
                SECTIONS[((h >> 16) % SECTIONS.len() as u64) as usize].as_bytes(),
            );
            out.push(b'/');
            push_int(out, idx as i64);
            if (h >> 24) & 1 == 0 {
                out.extend_from_slice(b".html");
            } else {
                out.extend_from_slice(b"?id=");
                push_int(out, ((h >> 32) % 100_000) as i64);
            }
        }
    }
}

/// Writes URL `idx` of CounterID 62's site (index 0 is the home page).
pub fn site_url(idx: u64, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(SITE62.as_bytes());
    if idx == 0 {
        return;
    }
    let h = mix2(0x5349_5445, idx);
    out.extend_from_slice(SECTIONS[(h % SECTIONS.len() as u64) as usize].as_bytes());
    out.push(b'/');
    push_int(out, idx as i64);
    if (h >> 8).is_multiple_of(5) {
        out.extend_from_slice(b"/?from=google");
    } else {
        out.push(b'/');
    }
}

/// Writes the title of URL `idx` (of the site when `site`); about 4% are empty, 2.5% mention
/// `Google`, 1% carry characters that TSV escapes.
pub fn title(idx: u64, site: bool, out: &mut Vec<u8>) {
    out.clear();
    let h = mix2(if site { 0x7469_7462 } else { 0x7469_7461 }, idx);
    match h % 200 {
        0..=7 => {}
        8..=12 => {
            out.extend_from_slice("Google Поиск — ".as_bytes());
            out.extend_from_slice(word(h >> 8).as_bytes());
            out.push(b' ');
            push_int(out, idx as i64);
        }
        13..=14 => {
            out.extend_from_slice(b"Rock 'n' roll \\ ");
            push_int(out, idx as i64);
        }
        _ => {
            if site {
                out.extend_from_slice("Афиша 62: ".as_bytes());
            } else {
                out.extend_from_slice(
                    SITE_TITLES[((h >> 8) % SITE_TITLES.len() as u64) as usize].as_bytes(),
                );
                out.extend_from_slice(" — ".as_bytes());
            }
            out.extend_from_slice(word(h >> 16).as_bytes());
            out.push(b' ');
            out.extend_from_slice(word(h >> 24).as_bytes());
            out.push(b' ');
            push_int(out, idx as i64);
        }
    }
}

/// Writes a referer on site `domain` (a Zipf rank) with path `path`; a tenth of them have no
/// path at all.
pub fn referer(domain: usize, path: u64, out: &mut Vec<u8>) {
    out.clear();
    let h = mix2(0x5245_4600 + domain as u64, path);
    out.extend_from_slice(if h & 3 == 0 { b"https://" } else { b"http://" });
    if (h >> 2) & 1 == 0 {
        out.extend_from_slice(b"www.");
    }
    match DOMAINS.get(domain) {
        Some(d) => out.extend_from_slice(d.as_bytes()),
        None => {
            out.extend_from_slice(b"site");
            push_int(out, domain as i64);
            out.extend_from_slice(b".ru");
        }
    }
    if (h >> 3).is_multiple_of(10) {
        return;
    }
    out.push(b'/');
    out.extend_from_slice(SECTIONS[((h >> 8) % SECTIONS.len() as u64) as usize].as_bytes());
    out.extend_from_slice(b"/?q=");
    push_int(out, path as i64);
}

/// Writes search phrase `idx`: one to four words.
pub fn phrase(idx: u64, out: &mut Vec<u8>) {
    out.clear();
    let mut h = mix2(0x5048_5241, idx);
    let words = 1 + (h % 4) as usize;
    for i in 0..words {
        h = h.rotate_right(6) ^ idx;
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(word(h >> 2).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_are_pure_functions_of_the_index() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for i in 0..200 {
            general_url(i, &mut a);
            general_url(i, &mut b);
            assert_eq!(a, b);
            assert!(std::str::from_utf8(&a).is_ok());
            title(i, false, &mut a);
            assert!(std::str::from_utf8(&a).is_ok());
            phrase(i, &mut a);
            assert!(!a.is_empty());
        }
        site_url(0, &mut a);
        assert_eq!(a, SITE62.as_bytes());
    }
}
