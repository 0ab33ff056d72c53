#include "bare_loop.hpp"

#include <stdexcept>
#include <vector>

#include <hiredis/hiredis.h>

#include "redis.hpp"

namespace bench {

uint64_t bare_copy(uint16_t source_port, const std::string& source_key,
                   uint16_t target_port, const std::string& target_key,
                   uint32_t batch, uint64_t expected) {
  redis::client source{source_port};
  redis::client target{target_port};
  std::string position = "0";
  auto count = std::to_string(batch);
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  uint64_t written = 0;
  while (written < expected) {
    auto r = source.run(
        {"XREAD", "COUNT", count, "STREAMS", source_key, position});
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 1)
      throw std::runtime_error("bare loop: nothing to read before the end");
    const auto* entries = r->element[0]->element[1];
    for (size_t i = 0; i < entries->elements; ++i) {
      const auto* e = entries->element[i];
      const auto* fields = e->element[1];
      argv.assign({"XADD", target_key.data(), e->element[0]->str});
      lengths.assign({4, target_key.size(), e->element[0]->len});
      for (size_t j = 0; j < fields->elements; ++j) {
        argv.push_back(fields->element[j]->str);
        lengths.push_back(fields->element[j]->len);
      }
      target.append(argv.size(), argv.data(), lengths.data());
    }
    for (size_t i = 0; i < entries->elements; ++i) {
      auto reply = target.read();
      if (reply->type == REDIS_REPLY_ERROR)
        throw std::runtime_error("bare loop: XADD refused: "
                                 + std::string{reply->str, reply->len});
      ++written;
    }
    const auto* last = entries->element[entries->elements - 1]->element[0];
    position.assign(last->str, last->len);
  }
  return written;
}

} // namespace bench
