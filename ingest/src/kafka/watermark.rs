//! A partition's high watermark as librdkafka last saw it in a fetch response: a local
//! lookup with no network round trip, cheap enough to refresh the lag of
//! `system.kafka_consumers` after every batch.

use std::ffi::CString;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::types::RDKafkaRespErr;

/// The cached high watermark of `topic`/`partition`, or `None` when librdkafka has not
/// fetched from it yet.
pub fn cached_high_watermark<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    topic: &str,
    partition: i32,
) -> Option<i64> {
    let topic = CString::new(topic).ok()?;
    let (mut low, mut high) = (-1i64, -1i64);
    // SAFETY: the client pointer is valid for as long as `consumer` is borrowed; `topic`
    // is a NUL-terminated string that outlives the call; `low` and `high` are valid for
    // writes. The function only reads librdkafka's own cached partition state.
    let err = unsafe {
        rdkafka_sys::rd_kafka_get_watermark_offsets(
            consumer.client().native_ptr(),
            topic.as_ptr(),
            partition,
            &mut low,
            &mut high,
        )
    };
    (err == RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0).then_some(high)
}
