#include "kafka/version.hpp"

#include <librdkafka/rdkafka.h>

namespace ks::kafka {

std::string library_version() { return rd_kafka_version_str(); }

}  // namespace ks::kafka
