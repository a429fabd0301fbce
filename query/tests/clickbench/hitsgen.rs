//! A small deterministic generator of ClickBench's `hits` table.
//!
//! The data is synthetic but shaped so that each of the 43 ClickBench queries returns
//! meaningful rows at a few thousand rows: skewed popularity of URLs, titles, search phrases
//! and users; CounterID 62 for about a third of the rows; July 2013 dates; some URLs with
//! `google` and titles with `Google`; referers of the form `http://www.site.com/path`; the
//! magic `RefererHash`/`URLHash`/`UserID` constants that Q19, Q40 and Q41 filter on; and a few
//! planted structures (a robot user whose hits fall on fixed minutes, repeated `WatchID`s)
//! that keep the `ORDER BY ... LIMIT` results free of ties at the cut.
//!
//! The same rows feed Granary (through [`Hits::batch`]) and ClickHouse (through
//! [`Hits::write_tsv`], loaded by `regen.py`), so the expected outputs are ClickHouse's.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, Int16Array, Int32Array, Int64Array, UInt16Array, UInt32Array,
};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The physical kind of a `hits` column as ClickHouse maps create.sql's types.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// `SMALLINT`: Int16.
    I16,
    /// `INTEGER`: Int32.
    I32,
    /// `BIGINT`: Int64.
    I64,
    /// `TEXT`, `CHAR`, `VARCHAR(255)`: String.
    Str,
    /// `Date`: days since 1970-01-01.
    Date,
    /// `TIMESTAMP`: DateTime, seconds since the epoch.
    DateTime,
}

/// The 105 columns of `hits` in create.sql's order.
pub const COLUMNS: [(&str, Kind); 105] = {
    use Kind::*;
    [
        ("WatchID", I64),
        ("JavaEnable", I16),
        ("Title", Str),
        ("GoodEvent", I16),
        ("EventTime", DateTime),
        ("EventDate", Date),
        ("CounterID", I32),
        ("ClientIP", I32),
        ("RegionID", I32),
        ("UserID", I64),
        ("CounterClass", I16),
        ("OS", I16),
        ("UserAgent", I16),
        ("URL", Str),
        ("Referer", Str),
        ("IsRefresh", I16),
        ("RefererCategoryID", I16),
        ("RefererRegionID", I32),
        ("URLCategoryID", I16),
        ("URLRegionID", I32),
        ("ResolutionWidth", I16),
        ("ResolutionHeight", I16),
        ("ResolutionDepth", I16),
        ("FlashMajor", I16),
        ("FlashMinor", I16),
        ("FlashMinor2", Str),
        ("NetMajor", I16),
        ("NetMinor", I16),
        ("UserAgentMajor", I16),
        ("UserAgentMinor", Str),
        ("CookieEnable", I16),
        ("JavascriptEnable", I16),
        ("IsMobile", I16),
        ("MobilePhone", I16),
        ("MobilePhoneModel", Str),
        ("Params", Str),
        ("IPNetworkID", I32),
        ("TraficSourceID", I16),
        ("SearchEngineID", I16),
        ("SearchPhrase", Str),
        ("AdvEngineID", I16),
        ("IsArtifical", I16),
        ("WindowClientWidth", I16),
        ("WindowClientHeight", I16),
        ("ClientTimeZone", I16),
        ("ClientEventTime", DateTime),
        ("SilverlightVersion1", I16),
        ("SilverlightVersion2", I16),
        ("SilverlightVersion3", I32),
        ("SilverlightVersion4", I16),
        ("PageCharset", Str),
        ("CodeVersion", I32),
        ("IsLink", I16),
        ("IsDownload", I16),
        ("IsNotBounce", I16),
        ("FUniqID", I64),
        ("OriginalURL", Str),
        ("HID", I32),
        ("IsOldCounter", I16),
        ("IsEvent", I16),
        ("IsParameter", I16),
        ("DontCountHits", I16),
        ("WithHash", I16),
        ("HitColor", Str),
        ("LocalEventTime", DateTime),
        ("Age", I16),
        ("Sex", I16),
        ("Income", I16),
        ("Interests", I16),
        ("Robotness", I16),
        ("RemoteIP", I32),
        ("WindowName", I32),
        ("OpenerName", I32),
        ("HistoryLength", I16),
        ("BrowserLanguage", Str),
        ("BrowserCountry", Str),
        ("SocialNetwork", Str),
        ("SocialAction", Str),
        ("HTTPError", I16),
        ("SendTiming", I32),
        ("DNSTiming", I32),
        ("ConnectTiming", I32),
        ("ResponseStartTiming", I32),
        ("ResponseEndTiming", I32),
        ("FetchTiming", I32),
        ("SocialSourceNetworkID", I16),
        ("SocialSourcePage", Str),
        ("ParamPrice", I64),
        ("ParamOrderID", Str),
        ("ParamCurrency", Str),
        ("ParamCurrencyID", I16),
        ("OpenstatServiceName", Str),
        ("OpenstatCampaignID", Str),
        ("OpenstatAdID", Str),
        ("OpenstatSourceID", Str),
        ("UTMSource", Str),
        ("UTMMedium", Str),
        ("UTMCampaign", Str),
        ("UTMContent", Str),
        ("UTMTerm", Str),
        ("FromTag", Str),
        ("HasGCLID", I16),
        ("RefererHash", I64),
        ("URLHash", I64),
        ("CLID", I32),
    ]
};

/// The default number of rows.
pub const DEFAULT_ROWS: usize = 20_000;
/// The default seed.
pub const DEFAULT_SEED: u64 = 10;

/// The `UserID` that Q19 looks up.
pub const Q19_USER: i64 = 435090932899640449;
/// The `RefererHash` that Q40 filters on.
pub const Q40_REFERER_HASH: i64 = 3594120000172545465;
/// The `URLHash` that Q41 filters on.
pub const Q41_URL_HASH: i64 = 2868770270353813622;

/// 2013-07-01 00:00:00 UTC in seconds since the epoch.
const JULY_START: i64 = 1_372_636_800;
/// The referer whose hash is [`Q40_REFERER_HASH`].
const Q40_REFERER: &str = "http://www.yandex.ru/clck/jsredir";
/// The index, in CounterID 62's URL pool, of the URL whose hash is [`Q41_URL_HASH`].
const Q41_URL_INDEX: usize = 2;

/// One cell: an integer (every numeric, date and time kind) or a string.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// An integer value (dates as days, times as seconds).
    Int(i64),
    /// A string value.
    Str(String),
}

/// The generated table: rows of 105 cells in [`COLUMNS`] order.
pub struct Hits {
    /// The rows.
    pub rows: Vec<Vec<Cell>>,
}

/// Samples ranks 0..n with weights 1/(rank+1)^s.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Zipf {
        let mut acc = 0.0;
        let cumulative = (0..n)
            .map(|i| {
                acc += 1.0 / ((i + 1) as f64).powf(s);
                acc
            })
            .collect();
        Zipf { cumulative }
    }

    fn sample(&self, rng: &mut StdRng) -> usize {
        let total = *self.cumulative.last().unwrap();
        let x = rng.gen::<f64>() * total;
        self.cumulative
            .partition_point(|&c| c <= x)
            .min(self.cumulative.len() - 1)
    }
}

/// FNV-1a of `s` as a signed 64-bit value (a stand-in for ClickHouse's URL hashes).
fn fnv(s: &str) -> i64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h as i64
}

/// A user: the attributes that stay the same across a user's hits.
struct User {
    id: i64,
    region: i32,
    ip: i32,
    phone: i16,
    model: &'static str,
    os: i16,
    width: i16,
    height: i16,
}

const PHRASE_WORDS: [&str; 24] = [
    "купить",
    "weather",
    "авито",
    "ноутбук",
    "iphone",
    "погода",
    "москва",
    "game",
    "работа",
    "рецепт",
    "карта",
    "news",
    "music",
    "фильм",
    "online",
    "бесплатно",
    "lenovo",
    "samsung",
    "цена",
    "отзывы",
    "rock 'n' roll",
    "C:\\temp",
    "schedule",
    "гугл",
];

const MODELS: [&str; 16] = [
    "iPad",
    "iPhone",
    "GT-I9300",
    "GT-I9100",
    "GT-N7100",
    "HTC One",
    "Lumia 920",
    "GT-S5830",
    "Nexus 4",
    "Xperia Z",
    "A820",
    "GT-P5100",
    "MB525",
    "U8860",
    "ST25i",
    "GT-I8160",
];

/// Users per phone model (distinct user counts for Q10/Q11 without ties).
const MODEL_USERS: [usize; 16] = [95, 71, 55, 44, 36, 30, 25, 21, 17, 14, 11, 9, 7, 5, 3, 2];

/// Users per region for the most popular regions (distinct user counts for Q8).
const REGION_USERS: [usize; 14] = [310, 240, 190, 150, 121, 99, 83, 70, 60, 52, 45, 39, 34, 30];

/// Hits of the robot user per minute of the hour (Q18's top rows).
const ROBOT_MINUTES: [(i64, usize); 13] = [
    (0, 260),
    (30, 190),
    (15, 150),
    (45, 120),
    (5, 95),
    (50, 80),
    (20, 68),
    (10, 58),
    (40, 50),
    (35, 44),
    (25, 39),
    (55, 35),
    (1, 31),
];

/// Rows per repeated `WatchID` (Q31/Q32's top rows).
const WATCH_REPEATS: [usize; 12] = [14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3];

fn words(rng: &mut StdRng, n: usize) -> String {
    (0..n)
        .map(|_| PHRASE_WORDS[rng.gen_range(0..PHRASE_WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

impl Hits {
    /// Generates `rows` rows from `seed`.
    pub fn generate(rows: usize, seed: u64) -> Hits {
        let mut rng = StdRng::seed_from_u64(seed);

        // Search phrases: a skewed pool of multi-word phrases.
        let phrases: Vec<String> = {
            let mut seen = std::collections::HashSet::new();
            let mut v = Vec::new();
            while v.len() < 500 {
                let n = rng.gen_range(1..=3);
                let p = words(&mut rng, n);
                if seen.insert(p.clone()) {
                    v.push(p);
                }
            }
            v
        };
        let phrase_zipf = Zipf::new(phrases.len(), 1.05);

        // URLs: a general pool and a pool for CounterID 62's site.
        let general_urls: Vec<String> = (0..700)
            .map(|i| match i % 23 {
                3 => format!("http://www.google.ru/search?q=item{i}&lr=213"),
                7 => format!("http://maps.google.com/maps?ll={i}.5,37.6"),
                11 => format!("http://googleads.g.doubleclick.net/pagead/ads?id={i}"),
                13 => format!("https://mail.ru/news/{i}/?utm_source=google"),
                17 => String::new(),
                _ => format!(
                    "http://{}.ru/{}/page{}.html",
                    ["avito", "auto", "kino", "news", "market", "sport", "job"][i % 7],
                    ["catalog", "item", "list", "view"][(i / 7) % 4],
                    i
                ),
            })
            .collect();
        let general_zipf = Zipf::new(general_urls.len(), 1.0);
        let site_urls: Vec<String> = (0..150)
            .map(|i| match i {
                0 => "http://example62.ru/".to_string(),
                5 => "http://example62.ru/search?text=google".to_string(),
                9 => String::new(),
                _ => format!(
                    "http://example62.ru/{}/{}?id={}",
                    ["news", "catalog", "cart", "profile", "help"][i % 5],
                    i,
                    i * 7919 % 1000
                ),
            })
            .collect();
        let site_zipf = Zipf::new(site_urls.len(), 1.15);
        let title_of = |url: &str, i: usize, site: bool| -> String {
            if url.is_empty() || i % 19 == 4 {
                String::new()
            } else if i % 13 == 6 {
                format!("Google Search — результаты {i}")
            } else if url.contains("google") && i.is_multiple_of(2) {
                format!("Google Maps: {i}")
            } else if i % 29 == 8 {
                format!("Rock 'n' roll\\{i}")
            } else if site {
                format!("Example 62: страница {i}")
            } else {
                format!(
                    "Page {i} — {}",
                    ["Авито", "Новости", "Кино", "Спорт"][i % 4]
                )
            }
        };

        // Referers: a pool of sites and paths (some without a path, some https).
        let referers: Vec<String> = (0..300)
            .map(|i| match i % 17 {
                0 if i == 0 => Q40_REFERER.to_string(),
                0 => format!("http://www.liveinternet.ru/click/{i}"),
                1 => format!("https://site{}.com/", i % 11),
                2 => format!("http://site{}.com", i % 13),
                3 => format!("http://www.поиск{}.рф/найти?q={i}", i % 5),
                4 => format!("https://www.google.ru/url?sa=t&n={i}"),
                _ => format!(
                    "http://www.site{}.com/{}/{}",
                    i % 37,
                    ["path", "news", "a/b/c", "search"][i % 4],
                    i
                ),
            })
            .collect();
        let referer_zipf = Zipf::new(referers.len(), 1.0);

        // Users: ids, home regions, IPs and phones fixed per user.
        let n_users = 2_500;
        let mut region_of_user: Vec<i32> = Vec::with_capacity(n_users);
        for (r, &n) in REGION_USERS.iter().enumerate() {
            for _ in 0..n {
                region_of_user.push([213, 2, 1, 54, 225, 11, 35, 47, 187, 10, 43, 66, 51, 39][r]);
            }
        }
        while region_of_user.len() < n_users {
            region_of_user.push(rng.gen_range(100..400) * 3 + 1000);
        }
        let mut model_of_user: Vec<usize> = Vec::new();
        for (m, &n) in MODEL_USERS.iter().enumerate() {
            model_of_user.extend(std::iter::repeat_n(m, n));
        }
        while model_of_user.len() < n_users {
            model_of_user.push(usize::MAX);
        }
        // Shuffle so that regions and phones are independent of activity.
        for v in [&mut region_of_user] {
            for i in (1..v.len()).rev() {
                let j = rng.gen_range(0..=i);
                v.swap(i, j);
            }
        }
        for i in (1..model_of_user.len()).rev() {
            let j = rng.gen_range(0..=i);
            model_of_user.swap(i, j);
        }
        let resolutions: [(i16, i16); 8] = [
            (1366, 768),
            (1920, 1080),
            (1280, 1024),
            (1024, 768),
            (1440, 900),
            (1600, 900),
            (360, 640),
            (1280, 800),
        ];
        let users: Vec<User> = (0..n_users)
            .map(|i| {
                let model = model_of_user[i];
                let (width, height) = resolutions[rng.gen_range(0..resolutions.len())];
                User {
                    id: if i == 300 {
                        Q19_USER
                    } else {
                        rng.gen_range(1_000_000_000_000_000..i64::MAX)
                    },
                    region: region_of_user[i],
                    // A few NATs share an address among several users.
                    ip: if i % 97 == 5 {
                        -1_062_731_000 + (i % 3) as i32
                    } else {
                        rng.gen::<i32>()
                    },
                    phone: if model == usize::MAX {
                        0
                    } else {
                        [1, 1, 2, 2, 2, 3, 4, 2, 5, 6, 7, 2, 8, 9, 6, 2][model]
                    },
                    model: if model == usize::MAX {
                        ""
                    } else {
                        MODELS[model]
                    },
                    os: [2, 2, 2, 56, 10, 44, 3][i % 7],
                    width,
                    height,
                }
            })
            .collect();
        let user_zipf = Zipf::new(n_users, 1.0);

        let robot_rows: usize = ROBOT_MINUTES.iter().map(|&(_, n)| n).sum();
        let mut robot_plan: Vec<i64> = ROBOT_MINUTES
            .iter()
            .flat_map(|&(m, n)| std::iter::repeat_n(m, n))
            .collect();
        let robot_id: i64 = 3_300_000_000_000_000_001;

        let mut out = Vec::with_capacity(rows);
        for row in 0..rows {
            // Every user hits at least once; then Zipf; the robot's hits spread evenly.
            let step = (rows.saturating_sub(n_users) / robot_rows.max(1)).max(1);
            let robot = row >= n_users && (row - n_users) % step == 0 && !robot_plan.is_empty();
            let user = if row < n_users {
                &users[(row * 7 + 3) % n_users]
            } else {
                &users[user_zipf.sample(&mut rng)]
            };
            let (user_id, region, ip) = if robot {
                (robot_id, 213, 1_500_000_007)
            } else {
                (user.id, user.region, user.ip)
            };
            let day = rng.gen_range(0..31i64);
            let mut second = rng.gen_range(0..86_400i64);
            if robot {
                let minute = robot_plan.pop().unwrap();
                second = (second / 3600) * 3600 + minute * 60 + second % 60;
            }
            let event_time = JULY_START + day * 86_400 + second;
            let event_date = event_time / 86_400;

            let on_site = !robot && rng.gen_bool(0.33);
            let counter_id: i64 = if on_site {
                62
            } else if robot {
                1143050
            } else {
                [
                    1143050, 731962, 3922, 1282253, 199550, 105857, 1084165, 722545,
                ][rng.gen_range(0..8)]
                    + if rng.gen_bool(0.2) {
                        rng.gen_range(0..500)
                    } else {
                        0
                    }
            };
            let (url, url_index) = if on_site {
                let i = site_zipf.sample(&mut rng);
                (site_urls[i].clone(), i)
            } else {
                let i = general_zipf.sample(&mut rng);
                (general_urls[i].clone(), i + 1000)
            };
            let title = title_of(&url, url_index, on_site);
            // On CounterID 62's site the referer (and traffic source, search engine) mostly
            // follow the page, so that Q39's groups stay fewer than its OFFSET.
            let referer = if on_site {
                if rng.gen_bool(0.015) {
                    Q40_REFERER.to_string()
                } else if rng.gen_bool(0.1) {
                    String::new()
                } else {
                    referers[1 + (url_index * 3) % 39].clone()
                }
            } else if rng.gen_bool(0.4) {
                String::new()
            } else {
                referers[referer_zipf.sample(&mut rng)].clone()
            };
            let phrase = if robot || rng.gen_bool(0.6) {
                String::new()
            } else {
                phrases[phrase_zipf.sample(&mut rng)].clone()
            };
            let search_engine: i64 = if on_site {
                if phrase.is_empty() {
                    0
                } else {
                    2
                }
            } else if phrase.is_empty() {
                if rng.gen_bool(0.9) {
                    0
                } else {
                    3
                }
            } else {
                [2, 2, 2, 3, 3, 1, 4][rng.gen_range(0..7)]
            };
            let adv_engine: i64 = if on_site || rng.gen_bool(0.93) {
                0
            } else {
                [2, 2, 2, 2, 3, 3, 4, 27, 13, 2, 3, 2][rng.gen_range(0..12)]
            };
            let trafic: i64 = if referer == Q40_REFERER {
                [-1, 6][rng.gen_range(0..2)]
            } else if on_site {
                if referer.is_empty() {
                    0
                } else {
                    [-1, 6, 1, 3][url_index % 4]
                }
            } else {
                [-1, 0, 0, 1, 1, 1, 2, 3, 6, 6][rng.gen_range(0..10)]
            };
            let is_refresh = rng.gen_bool(0.1) as i64;
            let dont_count = rng.gen_bool(0.1) as i64;
            let is_link = if rng.gen_bool(0.2) { 1 } else { 0 };
            let is_download = rng.gen_bool(0.05) as i64;
            let (width, height) = if robot {
                (1024, 768)
            } else {
                (user.width, user.height)
            };
            let window: (i64, i64) =
                [(1349, 662), (1903, 955), (1263, 891), (0, 0), (1007, 643)][rng.gen_range(0..5)];
            let referer_hash = if referer == Q40_REFERER {
                Q40_REFERER_HASH
            } else {
                fnv(&referer)
            };
            let url_hash = if on_site && url_index == Q41_URL_INDEX {
                Q41_URL_HASH
            } else {
                fnv(&url)
            };
            let client_event_time = event_time + rng.gen_range(0..120);
            let mut r: Vec<Cell> = Vec::with_capacity(COLUMNS.len());
            for (name, kind) in COLUMNS {
                let int = |v: i64| Cell::Int(v);
                let s = |v: &str| Cell::Str(v.to_string());
                let c = match name {
                    "WatchID" => int(rng.gen_range(4_000_000_000_000_000_000..i64::MAX)),
                    "JavaEnable" => int(rng.gen_bool(0.7) as i64),
                    "Title" => s(&title),
                    "GoodEvent" => int(1),
                    "EventTime" => int(event_time),
                    "EventDate" => int(event_date),
                    "CounterID" => int(counter_id),
                    "ClientIP" => int(ip as i64),
                    "RegionID" => int(region as i64),
                    "UserID" => int(user_id),
                    "OS" => int(user.os as i64),
                    "UserAgent" => int([7, 7, 2, 3, 4][row % 5]),
                    "URL" => s(&url),
                    "Referer" => s(&referer),
                    "IsRefresh" => int(is_refresh),
                    "RefererCategoryID" => int(rng.gen_range(0..3)),
                    "RefererRegionID" => int(if referer.is_empty() { 0 } else { region as i64 }),
                    "URLCategoryID" => int(rng.gen_range(0..5)),
                    "URLRegionID" => int(region as i64),
                    "ResolutionWidth" => int(width as i64),
                    "ResolutionHeight" => int(height as i64),
                    "ResolutionDepth" => int(24),
                    "FlashMajor" => int([0, 11, 11, 10][row % 4]),
                    "FlashMinor" => int(rng.gen_range(0..9)),
                    "FlashMinor2" => s(["", "", "0", "1", "202"][row % 5]),
                    "NetMajor" => int(rng.gen_range(0..4)),
                    "NetMinor" => int(rng.gen_range(0..6)),
                    "UserAgentMajor" => int(rng.gen_range(5..30)),
                    "UserAgentMinor" => s(["", "0", "1", "2", "a"][row % 5]),
                    "CookieEnable" => int(1),
                    "JavascriptEnable" => int(rng.gen_bool(0.9) as i64),
                    "IsMobile" => int(!user.model.is_empty() as i64),
                    "MobilePhone" => int(if robot { 0 } else { user.phone as i64 }),
                    "MobilePhoneModel" => s(if robot { "" } else { user.model }),
                    "Params" => s(if row % 37 == 0 { "a=1\tb=2" } else { "" }),
                    "IPNetworkID" => int((ip as i64).rem_euclid(100_000)),
                    "TraficSourceID" => int(trafic),
                    "SearchEngineID" => int(search_engine),
                    "SearchPhrase" => s(&phrase),
                    "AdvEngineID" => int(adv_engine),
                    "IsArtifical" => int(robot as i64),
                    "WindowClientWidth" => int(window.0),
                    "WindowClientHeight" => int(window.1),
                    "ClientTimeZone" => int([-1, 240, 180, 0][row % 4]),
                    "ClientEventTime" => int(client_event_time),
                    "SilverlightVersion1" => int(5),
                    "SilverlightVersion2" => int(1),
                    "SilverlightVersion3" => int(20513),
                    "SilverlightVersion4" => int(0),
                    "PageCharset" => s(["utf-8", "windows-1251", ""][row % 3]),
                    "CodeVersion" => int(rng.gen_range(200..600)),
                    "IsLink" => int(is_link),
                    "IsDownload" => int(is_download),
                    "IsNotBounce" => int(rng.gen_bool(0.5) as i64),
                    "FUniqID" => int(if row % 3 == 0 { 0 } else { rng.gen::<i64>() }),
                    "OriginalURL" => s(if row % 11 == 0 { &url } else { "" }),
                    "HID" => int(rng.gen::<i32>() as i64),
                    "IsOldCounter" => int(0),
                    "IsEvent" => int(rng.gen_bool(0.05) as i64),
                    "IsParameter" => int(rng.gen_bool(0.02) as i64),
                    "DontCountHits" => int(dont_count),
                    "WithHash" => int(0),
                    "HitColor" => s(["E", "F", "D"][row % 3]),
                    "LocalEventTime" => int(event_time + 4 * 3600),
                    "Age" => int([0, 18, 25, 35, 45, 55][row % 6]),
                    "Sex" => int((row % 3) as i64),
                    "Income" => int((row % 4) as i64),
                    "Interests" => int(rng.gen_range(0..1000)),
                    "Robotness" => int(if robot { 50 } else { 0 }),
                    "RemoteIP" => int(ip as i64 ^ 0x5555),
                    "WindowName" => int(rng.gen_range(-1..10_000)),
                    "OpenerName" => int(rng.gen_range(-1..10_000)),
                    "HistoryLength" => int(rng.gen_range(0..20)),
                    "BrowserLanguage" => s(["ru", "ru", "en", "uk", ""][row % 5]),
                    "BrowserCountry" => s(["ru", "ru", "ua", "by", "kz", ""][row % 6]),
                    "SocialNetwork" => s(if row % 41 == 0 { "vkontakte" } else { "" }),
                    "SocialAction" => s(if row % 41 == 0 { "like" } else { "" }),
                    "HTTPError" => int(if row % 101 == 0 { 404 } else { 0 }),
                    "SendTiming" => int(rng.gen_range(0..3000)),
                    "DNSTiming" => int(rng.gen_range(0..500)),
                    "ConnectTiming" => int(rng.gen_range(0..800)),
                    "ResponseStartTiming" => int(rng.gen_range(0..2000)),
                    "ResponseEndTiming" => int(rng.gen_range(0..5000)),
                    "FetchTiming" => int(rng.gen_range(0..5000)),
                    "SocialSourceNetworkID" => int(if row % 41 == 0 { 1 } else { 0 }),
                    "SocialSourcePage" => s(""),
                    "ParamPrice" => int(if row % 29 == 0 {
                        rng.gen_range(100..100_000)
                    } else {
                        0
                    }),
                    "ParamOrderID" => s(if row % 29 == 0 { "ord-1" } else { "" }),
                    "ParamCurrency" => s(if row % 29 == 0 { "RUB" } else { "" }),
                    "ParamCurrencyID" => int(if row % 29 == 0 { 643 } else { 0 }),
                    "OpenstatServiceName" => s(""),
                    "OpenstatCampaignID" => s(""),
                    "OpenstatAdID" => s(""),
                    "OpenstatSourceID" => s(""),
                    "UTMSource" => s(if url.contains("utm_source") {
                        "google"
                    } else {
                        ""
                    }),
                    "UTMMedium" => s(""),
                    "UTMCampaign" => s(""),
                    "UTMContent" => s(""),
                    "UTMTerm" => s(""),
                    "FromTag" => s(""),
                    "HasGCLID" => int(0),
                    "RefererHash" => int(referer_hash),
                    "URLHash" => int(url_hash),
                    "CLID" => int(if row % 7 == 0 {
                        rng.gen_range(0..100)
                    } else {
                        0
                    }),
                    other => {
                        debug_assert!(matches!(other, "CounterClass"), "{other}");
                        int((row % 3) as i64)
                    }
                };
                debug_assert!(matches!(
                    (&c, kind),
                    (Cell::Str(_), Kind::Str)
                        | (
                            Cell::Int(_),
                            Kind::I16 | Kind::I32 | Kind::I64 | Kind::Date | Kind::DateTime
                        )
                ));
                r.push(c);
            }
            out.push(r);
        }

        // Repeated WatchIDs (with one ClientIP each and a search phrase) for Q31/Q32.
        let watch_col = col_index("WatchID");
        let ip_col = col_index("ClientIP");
        let phrase_col = col_index("SearchPhrase");
        let candidates: Vec<usize> = (0..out.len())
            .filter(|&i| out[i][phrase_col] != Cell::Str(String::new()))
            .collect();
        let mut next = 0usize;
        for (k, &n) in WATCH_REPEATS.iter().enumerate() {
            let watch_id = 5_000_000_000_000_000_000 + k as i64 * 1_000_003;
            let ip = 2_000_000_000 - k as i32 * 17;
            for _ in 0..n {
                // Spread the picks over the candidates.
                let i = candidates[(next * 7919) % candidates.len()];
                next += 1;
                out[i][watch_col] = Cell::Int(watch_id);
                out[i][ip_col] = Cell::Int(ip as i64);
            }
        }
        Hits { rows: out }
    }

    /// The rows `range` as a batch with `schema`'s columns (matched by name).
    pub fn batch(&self, schema: &SchemaRef, range: std::ops::Range<usize>) -> RecordBatch {
        let rows = &self.rows[range];
        let columns: Vec<ArrayRef> = schema
            .fields()
            .iter()
            .map(|f| {
                let i = col_index(f.name());
                let ints = || {
                    rows.iter().map(move |r| match &r[i] {
                        Cell::Int(v) => *v,
                        Cell::Str(_) => unreachable!(),
                    })
                };
                let a: ArrayRef = match COLUMNS[i].1 {
                    Kind::I16 => Arc::new(Int16Array::from_iter_values(ints().map(|v| v as i16))),
                    Kind::I32 => Arc::new(Int32Array::from_iter_values(ints().map(|v| v as i32))),
                    Kind::I64 => Arc::new(Int64Array::from_iter_values(ints())),
                    Kind::Date => Arc::new(UInt16Array::from_iter_values(ints().map(|v| v as u16))),
                    Kind::DateTime => {
                        Arc::new(UInt32Array::from_iter_values(ints().map(|v| v as u32)))
                    }
                    Kind::Str => Arc::new(BinaryArray::from_iter_values(rows.iter().map(
                        |r| match &r[i] {
                            Cell::Str(s) => s.as_bytes(),
                            Cell::Int(_) => unreachable!(),
                        },
                    ))),
                };
                a
            })
            .collect();
        RecordBatch::try_new(schema.clone(), columns).expect("hits batch")
    }

    /// Writes all rows as ClickHouse TabSeparated text (dates and times in UTC).
    pub fn write_tsv(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let mut line = String::new();
        for r in &self.rows {
            line.clear();
            for (i, (c, (_, kind))) in r.iter().zip(COLUMNS.iter()).enumerate() {
                if i > 0 {
                    line.push('\t');
                }
                match (c, kind) {
                    (Cell::Int(v), Kind::Date) => {
                        let d = chrono::DateTime::from_timestamp(v * 86_400, 0).unwrap();
                        line.push_str(&d.format("%Y-%m-%d").to_string());
                    }
                    (Cell::Int(v), Kind::DateTime) => {
                        let d = chrono::DateTime::from_timestamp(*v, 0).unwrap();
                        line.push_str(&d.format("%Y-%m-%d %H:%M:%S").to_string());
                    }
                    (Cell::Int(v), _) => line.push_str(&v.to_string()),
                    (Cell::Str(s), _) => {
                        for ch in s.chars() {
                            match ch {
                                '\t' => line.push_str("\\t"),
                                '\n' => line.push_str("\\n"),
                                '\\' => line.push_str("\\\\"),
                                c => line.push(c),
                            }
                        }
                    }
                }
            }
            line.push('\n');
            out.write_all(line.as_bytes())?;
        }
        Ok(())
    }
}

/// The position of column `name` in [`COLUMNS`].
pub fn col_index(name: &str) -> usize {
    COLUMNS
        .iter()
        .position(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}
