// The groups collector's watermark round, in the form the brokers collector reuses
// (core/watermark_round.hpp): only a complete round is shared.
#pragma once

#include <chrono>
#include <memory>
#include <span>

#include "core/watermark_round.hpp"
#include "kafka/watermarks.hpp"

namespace ks::groups {

// The round of `results` (aligned with `requests`), timed `at`; null when it is not
// complete: a request without a leader, a leader whose call failed or did not answer, or a
// partition answered with an error. A reader then asks the brokers itself, so a partition
// missing from the round is never mistaken for one whose leader did not answer.
std::shared_ptr<WatermarkRound> shareable_round(std::span<const kafka::WatermarkRequest> requests,
                                                const kafka::WatermarkResults& results,
                                                std::chrono::steady_clock::time_point at);

}  // namespace ks::groups
