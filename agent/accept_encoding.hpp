// Content negotiation for /metrics: whether a request's Accept-Encoding allows gzip.
#pragma once

#include <string_view>

namespace ks {

// RFC 9110 12.5.3: a coding is acceptable when listed with a q-value above 0 (no q = 1);
// "gzip;q=0" refuses it, and "*" stands for every coding not listed. Names are
// case-insensitive; "x-gzip" is gzip. An empty or absent header accepts only identity.
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace ks
