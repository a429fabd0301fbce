//! The row generator: every value of the 105 columns of one hit, from (seed, row number).
//!
//! Shapes that the 43 queries need: users, URLs, titles, search phrases, referer sites and
//! counters are Zipf-skewed; CounterID 62 (the site of Q37–Q42) has about a fifth of the
//! hits, its home page carries the `URLHash` of Q41 and some of its hits come from the
//! referer with Q40's `RefererHash`; a user carries Q19's `UserID`; dates and times fall in
//! July 2013 (UTC); `SearchPhrase`, `MobilePhoneModel`, `UTMSource`, `AdvEngineID` and the
//! like are mostly empty or zero, as in the real data; a few `WatchID`s repeat (Q31, Q32).

use std::io;

use crate::pools;
use crate::rng::{mix, mix2, unit_of, Rng};
use crate::sink::Sink;
use crate::zipf::Zipf;

/// The `UserID` that Q19 looks up.
pub const Q19_USER_ID: i64 = 435_090_932_899_640_449;
/// The `RefererHash` that Q40 filters on.
pub const Q40_REFERER_HASH: i64 = 3_594_120_000_172_545_465;
/// The `URLHash` that Q41 filters on (CounterID 62's home page).
pub const Q41_URL_HASH: i64 = 2_868_770_270_353_813_622;

/// 2013-07-01 00:00:00 UTC.
const JULY_START: i64 = 1_372_636_800;
/// Days of July.
const DAYS: i64 = 31;
/// The user rank that carries [`Q19_USER_ID`].
const Q19_USER_RANK: u64 = 40;
/// `RefererHash` of the empty referer.
const EMPTY_HASH: i64 = 6_202_628_419_148_573_758;

/// Screen resolutions, most common first.
const RESOLUTIONS: [(i64, i64); 10] = [
    (1366, 768),
    (1920, 1080),
    (1280, 1024),
    (1280, 800),
    (1024, 768),
    (1440, 900),
    (1600, 900),
    (1680, 1050),
    (360, 640),
    (768, 1024),
];

/// Nonzero `AdvEngineID`s, most common first.
const ADV_ENGINES: [i64; 8] = [2, 27, 13, 45, 44, 3, 4, 50];
/// Nonzero `SearchEngineID`s, most common first.
const SEARCH_ENGINES: [i64; 6] = [2, 3, 2, 3, 1, 14];

/// Generates hits; one instance per thread (it owns scratch buffers).
pub struct Generator {
    seed: u64,
    users: Zipf,
    counters: Zipf,
    general_urls: Zipf,
    site_urls: Zipf,
    referer_sites: Zipf,
    phrases: Zipf,
    regions: Zipf,
    models: Zipf,
    repeated_watch: Zipf,
    url: Vec<u8>,
    title: Vec<u8>,
    referer: Vec<u8>,
    phrase: Vec<u8>,
}

/// Attributes that stay the same across one user's hits.
struct User {
    id: i64,
    hash: u64,
    ip: i64,
    region: i64,
    model: Option<usize>,
    os: i64,
    user_agent: i64,
    resolution: (i64, i64),
}

impl Generator {
    /// A generator of a table of `rows` rows from `seed` (pool sizes scale with `rows`).
    pub fn new(rows: u64, seed: u64) -> Generator {
        let rows = rows.max(1000) as usize;
        Generator {
            seed,
            users: Zipf::new(rows / 6, 0.9),
            counters: Zipf::new(20_000, 1.4),
            general_urls: Zipf::new(rows / 4, 1.0),
            site_urls: Zipf::new(30_000, 1.0),
            referer_sites: Zipf::new(2_000, 1.5),
            phrases: Zipf::new(rows / 16, 1.0),
            regions: Zipf::new(400, 1.1),
            models: Zipf::new(pools::MODELS.len(), 1.2),
            repeated_watch: Zipf::new(60, 0.7),
            url: Vec::with_capacity(128),
            title: Vec::with_capacity(128),
            referer: Vec::with_capacity(128),
            phrase: Vec::with_capacity(128),
        }
    }

    fn user(&self, rank: u64) -> User {
        let h = mix2(self.seed ^ 0x5553_4552, rank);
        let sub = |k: u64| mix2(h, k);
        User {
            id: if rank == Q19_USER_RANK {
                Q19_USER_ID
            } else {
                mix(h) as i64
            },
            hash: h,
            // One in twenty users sits behind one of a few hundred shared NAT addresses.
            ip: if sub(1) % 20 == 0 {
                i64::from(mix2(self.seed, sub(2) % 300) as i32)
            } else {
                i64::from(sub(2) as i32)
            },
            region: pools::region(self.regions.rank(unit_of(sub(3)))),
            model: (sub(4) % 100 < 8).then(|| self.models.rank(unit_of(sub(5)))),
            os: [2, 2, 2, 56, 10, 44, 3, 126][(sub(6) % 8) as usize],
            user_agent: [7, 7, 2, 3, 4, 1, 47, 62][(sub(7) % 8) as usize],
            resolution: RESOLUTIONS[(sub(8) % 100 % RESOLUTIONS.len() as u64) as usize],
        }
    }

    /// Generates row `row` into `sink`.
    pub fn row<S: Sink>(&mut self, row: u64, sink: &mut S) -> io::Result<()> {
        let mut r = Rng::new(self.seed, row);
        let user = self.user(self.users.rank(r.unit()) as u64);
        let uh = |k: u64| mix2(user.hash, k);

        let counter_rank = self.counters.rank(r.unit());
        let on_site = counter_rank == 0;
        let counter_id = if on_site {
            62
        } else {
            63 + counter_rank as i64 * 13
        };
        let day = r.below(DAYS as u64) as i64;
        let event_time = JULY_START + day * 86_400 + r.below(86_400) as i64;

        let url_idx;
        let url_hash;
        if on_site {
            url_idx = self.site_urls.rank(r.unit()) as u64;
            pools::site_url(url_idx, &mut self.url);
            pools::title(url_idx, true, &mut self.title);
            url_hash = if url_idx == 0 {
                Q41_URL_HASH
            } else {
                mix2(62, url_idx) as i64
            };
        } else if r.chance(0.01) {
            url_idx = u64::MAX;
            self.url.clear();
            self.title.clear();
            url_hash = EMPTY_HASH;
        } else {
            url_idx = self.general_urls.rank(r.unit()) as u64;
            pools::general_url(url_idx, &mut self.url);
            pools::title(url_idx, false, &mut self.title);
            url_hash = mix2(1, url_idx) as i64;
        }

        let has_phrase = r.chance(0.13);
        if has_phrase {
            pools::phrase(self.phrases.rank(r.unit()) as u64, &mut self.phrase);
        } else {
            self.phrase.clear();
        }
        let adv_engine = if r.chance(0.012) {
            ADV_ENGINES[self.repeated_watch.rank(r.unit()) % ADV_ENGINES.len()]
        } else {
            0
        };
        let search_engine = if has_phrase {
            r.pick(&SEARCH_ENGINES)
        } else if r.chance(0.03) {
            2
        } else {
            0
        };

        let q40 = on_site && r.chance(0.03);
        let referer_hash;
        if q40 {
            self.referer.clear();
            self.referer
                .extend_from_slice(pools::Q40_REFERER.as_bytes());
            referer_hash = Q40_REFERER_HASH;
        } else if r.chance(0.4) {
            self.referer.clear();
            referer_hash = EMPTY_HASH;
        } else {
            let site = self.referer_sites.rank(r.unit());
            let path = r.below(50_000);
            pools::referer(site, path, &mut self.referer);
            referer_hash = mix2(site as u64, path) as i64;
        }
        let trafic_source = if q40 {
            r.pick(&[-1, 6])
        } else if has_phrase {
            2
        } else if adv_engine != 0 {
            3
        } else if self.referer.is_empty() {
            0
        } else {
            r.pick(&[-1, -1, 1, 1, 1, 6, 5, 4])
        };

        let is_repeated_watch = r.chance(0.0005);
        let (watch_id, client_ip) = if is_repeated_watch {
            let k = self.repeated_watch.rank(r.unit()) as i64;
            (
                7_000_000_000_000_000_000 + k * 1_000_003,
                1_500_000_000 - k * 17,
            )
        } else {
            ((mix2(self.seed ^ 0x5741_5443, row) >> 1) as i64, user.ip)
        };

        let (width, height) = user.resolution;
        let window_width = (width - r.range(0, 400)).max(0);
        let window_height = (height - r.range(60, 400)).max(0);
        let model = user.model.map(pools::model).unwrap_or("");
        let mobile_phone = user.model.map(|m| 1 + (m % 9) as i64).unwrap_or(0);
        let utm = r.chance(0.02);
        let time_zone = [180, 240, 120, 360, -1][(uh(20) % 5) as usize];

        // The 105 columns, in create.sql's order.
        sink.int(watch_id); // WatchID
        sink.int((uh(21) % 4 != 0) as i64); // JavaEnable
        sink.text(&self.title); // Title
        sink.int(1); // GoodEvent
        sink.datetime(event_time); // EventTime
        sink.date(event_time.div_euclid(86_400)); // EventDate
        sink.int(counter_id); // CounterID
        sink.int(client_ip); // ClientIP
        sink.int(user.region); // RegionID
        sink.int(user.id); // UserID
        sink.int(if r.chance(0.1) { r.range(1, 4) } else { 0 }); // CounterClass
        sink.int(user.os); // OS
        sink.int(user.user_agent); // UserAgent
        sink.text(&self.url); // URL
        sink.text(&self.referer); // Referer
        sink.int(r.chance(0.09) as i64); // IsRefresh
        let has_referer = !self.referer.is_empty();
        sink.int(if has_referer { r.range(1, 20) } else { 0 }); // RefererCategoryID
        sink.int(if has_referer { user.region } else { 0 }); // RefererRegionID
        sink.int(r.range(0, 30)); // URLCategoryID
        sink.int(user.region); // URLRegionID
        sink.int(width); // ResolutionWidth
        sink.int(height); // ResolutionHeight
        sink.int(if uh(22) % 10 == 0 { 32 } else { 24 }); // ResolutionDepth
        sink.int([0, 11, 11, 10][(uh(23) % 4) as usize]); // FlashMajor
        sink.int((uh(24) % 9) as i64); // FlashMinor
        sink.text(if uh(25) % 5 == 0 { b"202" } else { b"" }); // FlashMinor2
        sink.int((uh(26) % 4) as i64); // NetMajor
        sink.int((uh(27) % 6) as i64); // NetMinor
        sink.int(5 + (uh(28) % 25) as i64); // UserAgentMajor
        sink.text([&b""[..], b"0", b"1", b"a"][(uh(29) % 4) as usize]); // UserAgentMinor
        sink.int(1); // CookieEnable
        sink.int((uh(30) % 10 != 0) as i64); // JavascriptEnable
        sink.int(user.model.is_some() as i64); // IsMobile
        sink.int(mobile_phone); // MobilePhone
        sink.text(model.as_bytes()); // MobilePhoneModel
        sink.text(if r.chance(0.02) { b"p=1\tq=2" } else { b"" }); // Params
        sink.int(user.ip.rem_euclid(1 << 20)); // IPNetworkID
        sink.int(trafic_source); // TraficSourceID
        sink.int(search_engine); // SearchEngineID
        sink.text(&self.phrase); // SearchPhrase
        sink.int(adv_engine); // AdvEngineID
        sink.int(r.chance(0.005) as i64); // IsArtifical
        sink.int(window_width); // WindowClientWidth
        sink.int(window_height); // WindowClientHeight
        sink.int(time_zone); // ClientTimeZone
        sink.datetime(event_time + r.range(-5, 60)); // ClientEventTime
        sink.int(5); // SilverlightVersion1
        sink.int(1); // SilverlightVersion2
        sink.int(if uh(31) % 3 == 0 { 0 } else { 20_513 }); // SilverlightVersion3
        sink.int(0); // SilverlightVersion4
        sink.text([&b"windows-1251"[..], b"utf-8", b"utf-8", b""][(uh(32) % 4) as usize]); // PageCharset
        sink.int(if r.chance(0.7) { 0 } else { r.range(100, 900) }); // CodeVersion
        sink.int(r.chance(0.08) as i64); // IsLink
        sink.int(r.chance(0.01) as i64); // IsDownload
        sink.int(r.chance(0.4) as i64); // IsNotBounce
        sink.int(if uh(33) % 3 == 0 {
            0
        } else {
            (uh(34) >> 1) as i64
        }); // FUniqID
        sink.text(if r.chance(0.03) { &self.url } else { b"" }); // OriginalURL
        sink.int(i64::from(r.next_u64() as i32)); // HID
        sink.int(0); // IsOldCounter
        sink.int(r.chance(0.03) as i64); // IsEvent
        sink.int(r.chance(0.02) as i64); // IsParameter
        sink.int(r.chance(0.05) as i64); // DontCountHits
        sink.int(0); // WithHash
        sink.text([&b"E"[..], b"E", b"F", b"D"][r.below(4) as usize]); // HitColor
        sink.datetime(event_time + time_zone.max(0) * 60); // LocalEventTime
        sink.int([0, 18, 25, 35, 45, 55][(uh(35) % 6) as usize]); // Age
        sink.int((uh(36) % 3) as i64); // Sex
        sink.int((uh(37) % 4) as i64); // Income
        sink.int(if uh(38) % 2 == 0 {
            0
        } else {
            (uh(39) % 1000) as i64
        }); // Interests
        sink.int(if r.chance(0.01) { r.range(1, 100) } else { 0 }); // Robotness
        sink.int(i64::from(mix(user.ip as u64) as i32)); // RemoteIP
        sink.int(if r.chance(0.8) {
            -1
        } else {
            r.range(0, 10_000)
        }); // WindowName
        sink.int(if r.chance(0.9) {
            -1
        } else {
            r.range(0, 10_000)
        }); // OpenerName
        sink.int(r.range(0, 20)); // HistoryLength
        sink.text([&b"ru"[..], b"ru", b"ru", b"en", b"uk", b""][(uh(40) % 6) as usize]); // BrowserLanguage
        sink.text([&b"ru"[..], b"ru", b"ua", b"by", b"kz", b""][(uh(41) % 6) as usize]); // BrowserCountry
        let social = r.chance(0.01);
        sink.text(if social { b"vkontakte" } else { b"" }); // SocialNetwork
        sink.text(if social { b"like" } else { b"" }); // SocialAction
        sink.int(if r.chance(0.002) { 404 } else { 0 }); // HTTPError
        let timed = r.chance(0.2);
        for limit in [3_000, 500, 800, 2_000, 5_000, 5_000] {
            // SendTiming, DNSTiming, ConnectTiming, ResponseStartTiming, ResponseEndTiming,
            // FetchTiming.
            sink.int(if timed { r.range(0, limit) } else { 0 });
        }
        sink.int(social as i64); // SocialSourceNetworkID
        sink.text(if social { b"http://vk.com/feed" } else { b"" }); // SocialSourcePage
        let order = r.chance(0.005);
        sink.int(if order { r.range(100, 100_000) } else { 0 }); // ParamPrice
        sink.text(if order { b"1234-56" } else { b"" }); // ParamOrderID
        sink.text(if order { b"RUB" } else { b"" }); // ParamCurrency
        sink.int(if order { 643 } else { 0 }); // ParamCurrencyID
        let openstat = r.chance(0.003);
        for v in [&b"direct.yandex.ru"[..], b"7", b"14", b"yandex.ru"] {
            // OpenstatServiceName, OpenstatCampaignID, OpenstatAdID, OpenstatSourceID.
            sink.text(if openstat { v } else { b"" });
        }
        for v in [&b"yandex"[..], b"cpc", b"summer", b"banner", b""] {
            // UTMSource, UTMMedium, UTMCampaign, UTMContent, UTMTerm.
            sink.text(if utm { v } else { b"" });
        }
        sink.text(if r.chance(0.002) { b"mail" } else { b"" }); // FromTag
        sink.int(r.chance(0.001) as i64); // HasGCLID
        sink.int(referer_hash); // RefererHash
        sink.int(url_hash); // URLHash
        sink.int(if r.chance(0.05) { r.range(1, 1000) } else { 0 }); // CLID
        let _ = url_idx;
        sink.end_row()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Kind, COLUMNS};

    /// Records the kind of every value and the strings, checking them against the schema.
    #[derive(Default)]
    struct Check {
        column: usize,
        rows: usize,
        tsv: Vec<u8>,
    }

    impl Check {
        fn expect(&mut self, ok: bool) {
            assert!(
                ok,
                "column {} ({:?})",
                COLUMNS[self.column].0, COLUMNS[self.column].1
            );
            self.column += 1;
        }
    }

    impl Sink for Check {
        fn int(&mut self, v: i64) {
            let ok = match COLUMNS[self.column].1 {
                Kind::I16 => i16::try_from(v).is_ok(),
                Kind::I32 => i32::try_from(v).is_ok(),
                Kind::I64 => true,
                _ => false,
            };
            crate::tsv::push_int(&mut self.tsv, v);
            self.expect(ok);
        }
        fn text(&mut self, v: &[u8]) {
            self.tsv.extend_from_slice(v);
            let ok = COLUMNS[self.column].1 == Kind::Str && std::str::from_utf8(v).is_ok();
            self.expect(ok);
        }
        fn date(&mut self, days: i64) {
            let ok = COLUMNS[self.column].1 == Kind::Date && (15_887..15_918).contains(&days);
            self.expect(ok);
        }
        fn datetime(&mut self, secs: i64) {
            let ok = COLUMNS[self.column].1 == Kind::DateTime
                && (JULY_START - 86_400..JULY_START + 33 * 86_400).contains(&secs);
            self.expect(ok);
        }
        fn end_row(&mut self) -> io::Result<()> {
            assert_eq!(self.column, COLUMNS.len());
            self.column = 0;
            self.rows += 1;
            Ok(())
        }
        fn finish(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn thousand_rows_are_deterministic_and_typed() {
        let run = |seed| {
            let mut g = Generator::new(1000, seed);
            let mut c = Check::default();
            for row in 0..1000 {
                g.row(row, &mut c).unwrap();
            }
            assert_eq!(c.rows, 1000);
            c.tsv
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }
}
