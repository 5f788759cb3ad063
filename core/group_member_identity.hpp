// Who a consumer-group member is, as the group coordinator knows it: the client id the
// consumer set and the host it connected from ("/10.0.0.5"). Burrow's `client_id` and
// `owner` of a partition (docs/api-burrow.md).
#pragma once

#include <string>

namespace ks {

struct GroupMemberIdentity {
  std::string client_id;
  std::string host;

  bool operator==(const GroupMemberIdentity&) const = default;
};

}  // namespace ks
