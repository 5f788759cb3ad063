// What a client does with librdkafka's own log lines and error callbacks.
#pragma once

namespace ks::kafka {

enum class LibraryLogs {
  agent,   // the agent's policy (kafka/client.hpp): errors as throttled warnings, counted
  detail,  // debug and trace only: the client's owner reports what matters itself
  silent,  // nothing (command-line tools that print to the terminal)
};

}  // namespace ks::kafka
