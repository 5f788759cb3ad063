// The status page at / (agent/status_page.html): one self-contained HTML file, compiled
// into the binary at build time (agent/CMakeLists.txt), so the agent serves it with no file
// to install and no request leaving the host.
#pragma once

#include <string_view>

namespace ks {

std::string_view status_page_html();

}  // namespace ks
