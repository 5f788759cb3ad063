// The durable, bounded, on-disk queue every health event goes through before Kafka: events
// are appended (and fsync'd) first, delivered from here in their original order, and only
// forgotten once Kafka acknowledged them. It survives an agent restart or crash.
//
// Two append-only files in the spool directory (format in docs/events.md):
//   events.spool  a header (magic, next sequence number) and records: magic, length,
//                 sequence number, CRC32 of the rest, then key and value;
//   events.acks   fixed-size entries, each with its CRC32: ATTEMPT (first sent at time T),
//                 ACK (Kafka acknowledged it), DROP (dropped when the spool was full).
// Sequence numbers only grow, across restarts and compactions. A record is pending while
// it has neither an ACK nor a DROP. When delivered records make up enough of the file, both
// files are rewritten (to a temporary file, fsync, rename, fsync of the directory) with the
// pending records only: a crash at any point leaves either the old or the new file, and
// never brings back an acknowledged record as pending.
//
// Opening checks every record and entry: a truncated tail (power loss mid-write) or a
// damaged region is cut out, every intact record is kept (also those after the damage),
// the original file is kept beside as events.spool.damaged-<unix time>, and what was lost
// is reported; opening never fails because of the content.
//
// Bounded by bytes and by record count: appending beyond either drops the oldest pending
// records (written as DROP entries, counted, and returned so the caller can log them).
//
// Thread-safe: one thread appends while another delivers.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace ks::events {

struct SpoolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct SpoolLimits {
  std::int64_t max_bytes = 64LL * 1024 * 1024;  // pending records, framing included
  std::size_t max_records = 100000;
};

struct SpoolRecord {
  std::uint64_t seq = 0;
  std::string key;
  std::string value;
  std::int64_t first_attempt_ms = 0;  // Unix ms of the first delivery attempt; 0 = never
};

// What opening found.
struct SpoolRecovery {
  std::size_t records = 0;           // pending records found
  std::size_t attempted = 0;         // of which a delivery had been attempted (in doubt)
  std::size_t damaged_regions = 0;   // runs of bytes in events.spool that were not records
  std::uint64_t discarded_bytes = 0; // bytes of those runs (truncated tail included)
  bool truncated_tail = false;       // the file ended inside a record
  bool bad_header = false;
  std::size_t discarded_ack_entries = 0;  // damaged entries of events.acks
  std::size_t dropped_over_limits = 0;    // dropped at open (limits lowered since)
  std::string damaged_copy;  // path of the kept copy of a damaged file, "" if none
  std::vector<std::string> problems;  // one line per problem, for the log

  bool damaged() const { return !problems.empty(); }
};

class Spool {
 public:
  // Opens (creating the directory and files if needed) and recovers the spool in `dir`.
  // Throws SpoolError when the directory or files cannot be created, read or written, or
  // when another process holds the spool (an exclusive lock on events.lock).
  Spool(std::filesystem::path dir, SpoolLimits limits);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  const SpoolRecovery& recovery() const { return recovery_; }

  struct Appended {
    std::vector<std::uint64_t> seqs;       // of the records appended, in order
    std::vector<SpoolRecord> dropped;      // oldest pending records dropped to make room
  };
  // Appends the records (key, value) and fsyncs once for all; `durable` (if given) runs
  // after the fsync, under the spool's lock, so no compaction can run in between. Throws
  // SpoolError on I/O errors (nothing of the batch is then pending) and when one record is
  // larger than the byte limit.
  Appended append(const std::vector<std::pair<std::string, std::string>>& records,
                  const std::function<void(const std::vector<std::uint64_t>&)>& durable = {});

  // The oldest pending records, in order: at most `max_records`, and at most `max_bytes`
  // of values (at least one record when any is pending).
  std::vector<SpoolRecord> peek(std::size_t max_records, std::size_t max_bytes) const;
  // Every pending record (for replay at startup).
  std::vector<SpoolRecord> pending() const { return peek(SIZE_MAX, SIZE_MAX); }

  // Records that a delivery of these is about to be attempted (first attempt only); fsync.
  void mark_attempted(const std::vector<std::uint64_t>& seqs, std::int64_t now_ms);
  // Kafka acknowledged these: never deliver them again; fsync, then compact if worthwhile.
  // Sequence numbers no longer pending (dropped meanwhile) are ignored.
  void acknowledge(const std::vector<std::uint64_t>& seqs);

  std::size_t depth() const;           // pending records
  std::int64_t bytes() const;          // pending bytes (framing included)
  std::uint64_t dropped_total() const; // dropped since opened (at open included)
  std::uint64_t next_seq() const;
  std::int64_t file_bytes() const;     // size of events.spool

  // File names inside the directory.
  static constexpr const char* kSpoolFile = "events.spool";
  static constexpr const char* kAcksFile = "events.acks";
  static constexpr const char* kLockFile = "events.lock";

 private:
  struct Entry {
    std::int64_t offset = 0;  // of the record in events.spool
    std::uint32_t size = 0;   // framing included
    std::int64_t first_attempt_ms = 0;
  };
  void recover();
  // Steps of recover().
  void lock_directory();
  void note_spool_damage(const std::filesystem::path& spool_path,
                         const std::vector<std::pair<std::int64_t, std::int64_t>>& damaged,
                         std::size_t intact_records);
  // Applies events.acks to the records found; returns the highest sequence number seen.
  std::uint64_t apply_acks(const std::filesystem::path& acks_path,
                           std::map<std::uint64_t, Entry>& found, std::uint64_t max_seq);
  void open_acks(const std::filesystem::path& acks_path);
  void keep_damaged_copy(const std::filesystem::path& spool_path);
  void scan_spool(const std::filesystem::path& path, std::map<std::uint64_t, Entry>& found,
                  std::uint64_t& header_next_seq, std::vector<std::pair<std::int64_t, std::int64_t>>& keep);
  void write_ack_entries(std::uint32_t kind, const std::vector<std::uint64_t>& seqs,
                         std::int64_t time_ms);
  std::vector<SpoolRecord> drop_for(std::int64_t extra_bytes, std::size_t extra_records);
  void maybe_compact();
  void compact();
  SpoolRecord read_record(std::uint64_t seq, const Entry& entry) const;

  std::filesystem::path dir_;
  SpoolLimits limits_;
  SpoolRecovery recovery_;
  mutable std::mutex mutex_;
  int lock_fd_ = -1;
  int spool_fd_ = -1;
  int acks_fd_ = -1;
  std::int64_t spool_size_ = 0;
  std::int64_t acks_size_ = 0;
  std::map<std::uint64_t, Entry> pending_;  // by seq
  std::int64_t pending_bytes_ = 0;
  std::uint64_t next_seq_ = 1;
  std::uint64_t dropped_total_ = 0;
};

}  // namespace ks::events
