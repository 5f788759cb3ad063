// libFuzzer target: librdkafka's statistics JSON (kafka/statistics.hpp: parse_statistics,
// what every Kafka client of the agent hands its stats callback) and the per-broker totals
// made of it (kafka/client_statistics.hpp). Properties: any bytes give statistics or an
// error, never a throw; recording them twice, and again as a new instance, never makes a
// total go backwards; every view has a broker label.
#include <map>
#include <string>
#include <utility>

#include "kafka/client_statistics.hpp"
#include "kafka/statistics.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using Totals = std::map<std::pair<std::string, std::string>, ks::kafka::BrokerTotals>;

Totals totals(const ks::kafka::StatisticsAccumulator& acc) {
  Totals out;
  for (const auto& v : acc.views()) {
    KS_FUZZ_CHECK(!v.broker.empty());
    out[{v.client, v.broker}] = v.totals;
  }
  return out;
}

void check_not_backwards(const Totals& before, const Totals& after) {
  for (const auto& [key, b] : before) {
    const auto it = after.find(key);
    KS_FUZZ_CHECK(it != after.end());
    const ks::kafka::BrokerTotals& a = it->second;
    KS_FUZZ_CHECK(a.request_timeouts >= b.request_timeouts && a.connects >= b.connects);
    KS_FUZZ_CHECK(a.transmit_errors >= b.transmit_errors && a.receive_errors >= b.receive_errors);
    KS_FUZZ_CHECK(a.disconnects >= b.disconnects);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ks::kafka::StatisticsParse parsed = ks::kafka::parse_statistics(text);
  KS_FUZZ_CHECK(parsed.statistics.has_value() != !parsed.error.empty());
  if (!parsed.statistics) return 0;
  ks::kafka::StatisticsAccumulator acc;
  acc.record("fuzz", 1, *parsed.statistics);
  const Totals first = totals(acc);
  acc.record("fuzz", 1, *parsed.statistics);
  const Totals second = totals(acc);
  KS_FUZZ_CHECK(second == first);  // the same document again adds nothing
  acc.forget(1);
  acc.record("fuzz", 2, *parsed.statistics);
  check_not_backwards(second, totals(acc));
  return 0;
}
