// Lag of one consumer-group partition from its committed offset and the partition's
// watermarks.
//
// Offsets follow Kafka's meaning: a committed offset c is the NEXT message the group will
// read (it has consumed everything below c); the high watermark h is one past the last
// message readable; the low watermark (log-start offset) l is the oldest message that still
// exists. Messages in [l, h) exist; those in [c, h) are not yet consumed.
#pragma once

#include <cstdint>

namespace ks::groups {

struct Watermarks {
  std::int64_t low = 0;   // log-start offset
  std::int64_t high = 0;  // high watermark (read_uncommitted)
};

struct PartitionLag {
  // Unconsumed messages that still exist: h - max(c, l), never negative.
  std::int64_t lag = 0;
  // Unconsumed messages that retention (or DeleteRecords) removed before the group read
  // them: l - c when c < l, else 0. Not part of `lag`.
  std::int64_t expired = 0;
  // The oldest unconsumed message that still exists (max(c, l)); its age is the lag in
  // seconds. Equal to or above the high watermark when the group is caught up.
  std::int64_t oldest_unconsumed = 0;
};

// `committed` must be >= 0 (partitions without a commit have no lag). Watermarks are
// taken with two requests; if they disagree (low above high), high wins: a partition never
// has fewer than zero messages. A committed offset above the high watermark (a commit that
// raced the watermark fetch, or a truncated log) means lag 0.
PartitionLag compute_lag(std::int64_t committed, Watermarks watermarks);

}  // namespace ks::groups
