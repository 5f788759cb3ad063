// The librdkafka clients alive in this process, counted from its threads: every client
// (rd_kafka_t) runs one main thread, named "rdk:main" (plus a thread per broker it knows),
// for as long as it exists. Linux only (/proc/self/task).
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

namespace ks::test {

inline int librdkafka_main_threads() {
  int count = 0;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    // A thread that ended between the listing and the read has no comm: not counted.
    if (std::getline(comm, name) && name == "rdk:main") ++count;
  }
  return count;
}

}  // namespace ks::test
