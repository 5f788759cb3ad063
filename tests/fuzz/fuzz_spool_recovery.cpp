// libFuzzer target: recovery of the events spool and its acks file (events/spool.hpp) from
// whatever a crash, a full disk or a bad sector left on disk. The input describes the two
// files: records and acks entries framed with correct CRCs (so the fuzzer gets past the
// checksums), raw damage between them, a cut-off tail, and the spool's limits. Properties:
//   - opening never throws for the content;
//   - what is pending is exactly the intact records, in increasing sequence order, whose
//     sequence number exceeds the one before, minus those a valid ACK or DROP entry names,
//     minus the oldest beyond the limits; each with its key, value and first attempt time;
//   - no record is ever invented (the record magic never occurs in damage, keys or values);
//   - sequence numbers only grow: the next one exceeds every number in either file, and
//     does not go down when the spool is closed and opened again;
//   - a second open finds the same pending records and nothing damaged; a record appended
//     after recovery and the acknowledgement of the oldest survive the next open.
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "events/spool.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

namespace fs = std::filesystem;
using ks::events::Spool;
using ks::events::SpoolLimits;
using ks::events::SpoolRecord;

// Sequence numbers from 2^63 on are damage (events/spool.cpp).
constexpr std::uint64_t kSeqLimit = std::uint64_t{1} << 63;

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint32_t crc_of(std::string_view s) {
  return static_cast<std::uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

// The formats of docs/events.md, written here from the documentation on purpose rather than
// with events/spool.cpp's own writer: an oracle that shared the writer would accept a framing
// bug that the reader shares too (this is why the duplicates report lists it).
std::string frame(std::uint64_t seq, std::string_view key, std::string_view value) {
  std::string body;
  put_u32(body, static_cast<std::uint32_t>(key.size()));
  body += key;
  body += value;
  std::string checked;
  put_u32(checked, static_cast<std::uint32_t>(body.size()));
  put_u64(checked, seq);
  checked += body;
  std::string out;
  put_u32(out, 0x3152534bU);  // "KSR1"
  out += checked.substr(0, 12);
  put_u32(out, crc_of(checked));
  out += body;
  return out;
}

std::string ack_entry(std::uint32_t kind, std::uint64_t seq, std::int64_t time_ms) {
  std::string e;
  put_u32(e, kind);
  put_u64(e, seq);
  put_u64(e, static_cast<std::uint64_t>(time_ms));
  put_u32(e, crc_of(e));
  return e;
}

// No 'K' (the first byte of the record magic): damage, keys and values never hold a record.
std::string without_magic(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == 'K') c = 'J';
  }
  return out;
}

struct Framed {
  std::uint64_t seq;
  std::string key, value;
  std::size_t offset, size;
};
struct AckWritten {
  std::uint32_t kind;
  std::uint64_t seq;
  std::int64_t time;
  std::size_t offset;
};

struct Files {
  std::string spool, acks;
  std::vector<Framed> records;
  std::vector<AckWritten> entries;
  SpoolLimits limits;
};

std::uint64_t seq_of(ks::fuzz::ByteReader& in, std::uint64_t previous) {
  const std::uint8_t b = in.byte();
  if (b >= 0xf0) return UINT64_MAX - (b & 0x0f);  // the end of the range
  return b < 0x80 ? previous + b : b & 0x7f;      // mostly growing, sometimes not
}

Files build(ks::fuzz::ByteReader& in) {
  Files f;
  const std::uint8_t limits = in.byte();
  if (limits & 1) f.limits.max_records = 1 + (limits >> 1) % 8;
  if (limits & 0x10) f.limits.max_bytes = 64 + 8 * (limits >> 5);
  const std::uint8_t header = in.byte();
  if (header % 4 != 0) {
    std::string h("KSSPOOL1", 8);
    put_u64(h, header >> 2);
    put_u32(h, crc_of(h));
    if (header % 4 == 3) h[9] ^= 1;  // a damaged header
    f.spool = h;
  }
  if (in.byte() % 2) f.acks = "KSACKS01";
  std::uint64_t seq = 0;
  while (!in.empty()) {
    switch (in.byte() % 6) {
      case 0:
      case 1: {
        seq = seq_of(in, seq);
        const std::string key = without_magic(in.field(16));
        const std::string value = without_magic(in.field(64));
        const std::string bytes = frame(seq, key, value);
        f.records.push_back(Framed{seq, key, value, f.spool.size(), bytes.size()});
        f.spool += bytes;
        break;
      }
      case 2:
      case 3: {
        const std::uint32_t kind = in.byte() % 4;
        const std::uint64_t acked = seq_of(in, 0);
        const std::int64_t time = static_cast<std::int8_t>(in.byte());
        f.entries.push_back(AckWritten{kind, acked, time, f.acks.size()});
        f.acks += ack_entry(kind, acked, time);
        break;
      }
      case 4: f.spool += without_magic(in.field(32)); break;
      case 5: {
        const std::uint8_t what = in.byte();
        if (what & 1) {
          f.acks += without_magic(in.field(8));
        } else {
          f.spool.resize(f.spool.size() - std::min<std::size_t>(f.spool.size(), what >> 1));
          std::erase_if(f.records, [&](const Framed& r) { return r.offset + r.size > f.spool.size(); });
        }
        break;
      }
    }
  }
  return f;
}

struct Expected {
  std::map<std::uint64_t, SpoolRecord> pending;
  std::uint64_t max_seq = 0;  // the highest number in either file
};

Expected model(const Files& f) {
  Expected e;
  std::uint64_t last = 0;
  std::map<std::uint64_t, std::size_t> sizes;
  for (const Framed& r : f.records) {
    if (r.offset + r.size > f.spool.size()) continue;  // cut off (by the end of the input)
    if (r.seq >= kSeqLimit) continue;                   // damage, whatever its CRC
    e.max_seq = std::max(e.max_seq, r.seq);
    if (r.seq <= last) continue;
    last = r.seq;
    e.pending[r.seq] = SpoolRecord{r.seq, r.key, r.value, 0};
    sizes[r.seq] = r.size;
  }
  for (const AckWritten& a : f.entries) {
    if (a.offset < 8 || (a.offset - 8) % 24 != 0 || a.offset + 24 > f.acks.size()) continue;
    if (a.seq >= kSeqLimit || (a.kind == 1 && a.time <= 0)) continue;  // damage
    e.max_seq = std::max(e.max_seq, a.seq);
    const auto it = e.pending.find(a.seq);
    if (it == e.pending.end()) continue;
    if (a.kind == 2 || a.kind == 3) {
      e.pending.erase(it);
    } else if (a.kind == 1 && a.time > 0 && it->second.first_attempt_ms == 0) {
      it->second.first_attempt_ms = a.time;
    }
  }
  std::int64_t bytes = 0;
  for (const auto& [seq, r] : e.pending) bytes += static_cast<std::int64_t>(sizes[seq]);
  while (!e.pending.empty() && (bytes > f.limits.max_bytes || e.pending.size() > f.limits.max_records)) {
    bytes -= static_cast<std::int64_t>(sizes[e.pending.begin()->first]);
    e.pending.erase(e.pending.begin());
  }
  return e;
}

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

bool same(const SpoolRecord& a, const SpoolRecord& b) {
  return a.seq == b.seq && a.key == b.key && a.value == b.value &&
         a.first_attempt_ms == b.first_attempt_ms;
}

void check_pending(const Spool& spool, const std::map<std::uint64_t, SpoolRecord>& expected) {
  const auto pending = spool.pending();
  KS_FUZZ_CHECK(pending.size() == expected.size() && spool.depth() == expected.size());
  std::size_t i = 0;
  for (const auto& [seq, r] : expected) {
    if (!same(pending[i], r)) {
      std::fprintf(stderr, "pending seq %llu attempt %lld, expected seq %llu attempt %lld\n",
                   static_cast<unsigned long long>(pending[i].seq),
                   static_cast<long long>(pending[i].first_attempt_ms),
                   static_cast<unsigned long long>(r.seq), static_cast<long long>(r.first_attempt_ms));
    }
    KS_FUZZ_CHECK(same(pending[i], r));
    KS_FUZZ_CHECK(pending[i].seq < spool.next_seq());
    ++i;
  }
}

// In memory where there is a tmpfs (the spool fsyncs every write: on a disk that is ~10
// executions per second instead of thousands).
fs::path work_dir() {
  static const fs::path dir =
      (fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path()) /
      ("ks-fuzz-spool-" + std::to_string(getpid()));
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ks::fuzz::ByteReader in(data, size);
  const Files files = build(in);
  const Expected expected = model(files);
  const fs::path dir = work_dir();
  fs::remove_all(dir);
  fs::create_directories(dir);
  if (!files.spool.empty()) write(dir / Spool::kSpoolFile, files.spool);
  if (!files.acks.empty()) write(dir / Spool::kAcksFile, files.acks);

  std::uint64_t next = 0;
  std::map<std::uint64_t, SpoolRecord> pending = expected.pending;
  {
    Spool spool(dir, files.limits);
    check_pending(spool, pending);
    KS_FUZZ_CHECK(spool.next_seq() > expected.max_seq);
    next = spool.next_seq();
  }
  {
    Spool spool(dir, files.limits);
    KS_FUZZ_CHECK(!spool.recovery().damaged());
    check_pending(spool, pending);
    KS_FUZZ_CHECK(spool.next_seq() >= next);
    if (pending.size() >= files.limits.max_records) return 0;
    const auto appended = spool.append({{"key", "appended"}});
    KS_FUZZ_CHECK(appended.seqs.size() == 1 && appended.seqs[0] >= next);
    for (const SpoolRecord& r : appended.dropped) pending.erase(r.seq);
    pending[appended.seqs[0]] = SpoolRecord{appended.seqs[0], "key", "appended", 0};
    spool.acknowledge({pending.begin()->first});
    pending.erase(pending.begin());
    next = spool.next_seq();
  }
  Spool spool(dir, files.limits);
  check_pending(spool, pending);
  KS_FUZZ_CHECK(spool.next_seq() >= next);
  return 0;
}
