#include "tailer/reply_arena.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include <hiredis/hiredis.h>

namespace cursor::tailer {

namespace {

// A block of an arena; `data` follows the header.
struct block {
  block* next;
  size_t size;
  size_t used;
};

// The arena's header lives at the start of its first block, and the reply's
// root node right after it, so that the root finds its arena.
struct arena {
  block* head;  // the block being filled
  block* first; // the block holding this header
  size_t next_size;
};

constexpr size_t align = alignof(std::max_align_t);
constexpr size_t first_size = 1024;
constexpr size_t max_size = 256 * 1024;

constexpr size_t round_up(size_t n) {
  return (n + align - 1) & ~(align - 1);
}

constexpr size_t block_header = round_up(sizeof(block));
constexpr size_t arena_header = round_up(sizeof(arena));

char* data(block* b) {
  return reinterpret_cast<char*>(b) + block_header;
}

block* new_block(size_t size) {
  auto* b = static_cast<block*>(std::malloc(block_header + size));
  if (b == nullptr)
    return nullptr;
  b->next = nullptr;
  b->size = size;
  b->used = 0;
  return b;
}

void* allocate(arena* a, size_t n) {
  n = round_up(n);
  auto* b = a->head;
  if (b->size - b->used < n) {
    auto size = a->next_size;
    while (size < n)
      size *= 2;
    a->next_size = size < max_size ? size * 2 : max_size;
    auto* fresh = new_block(size);
    if (fresh == nullptr)
      return nullptr;
    fresh->next = a->head;
    a->head = fresh;
    b = fresh;
  }
  auto* result = data(b) + b->used;
  b->used += n;
  return result;
}

arena* arena_of(redisReply* root) {
  return reinterpret_cast<arena*>(reinterpret_cast<char*>(root) - arena_header);
}

// A new node for `task`: the root starts a new arena.
redisReply* new_node(const redisReadTask* task, int type) {
  auto* ctx = static_cast<arena_context*>(task->privdata);
  arena* a = nullptr;
  redisReply* r = nullptr;
  if (task->parent == nullptr) {
    auto* b = new_block(first_size);
    if (b == nullptr)
      return nullptr;
    a = reinterpret_cast<arena*>(data(b));
    a->head = b;
    a->first = b;
    a->next_size = first_size * 2;
    b->used = arena_header;
    r = static_cast<redisReply*>(allocate(a, sizeof(redisReply)));
    ctx->current = a;
  } else {
    a = static_cast<arena*>(ctx->current);
    r = static_cast<redisReply*>(allocate(a, sizeof(redisReply)));
  }
  if (r == nullptr)
    return nullptr;
  std::memset(r, 0, sizeof(redisReply));
  r->type = type;
  if (task->parent != nullptr) {
    auto* parent = static_cast<redisReply*>(task->parent->obj);
    parent->element[task->idx] = r;
  }
  return r;
}

void* create_string(const redisReadTask* task, char* str, size_t len) {
  auto* r = new_node(task, task->type);
  if (r == nullptr)
    return nullptr;
  auto* a = static_cast<arena*>(
      static_cast<arena_context*>(task->privdata)->current);
  auto* buf = static_cast<char*>(allocate(a, len + 1));
  if (buf == nullptr)
    return nullptr;
  std::memcpy(buf, str, len);
  buf[len] = '\0';
  r->str = buf;
  r->len = len;
  return r;
}

void* create_array(const redisReadTask* task, int elements) {
  auto* r = new_node(task, REDIS_REPLY_ARRAY);
  if (r == nullptr)
    return nullptr;
  if (elements > 0) {
    auto* a = static_cast<arena*>(
        static_cast<arena_context*>(task->privdata)->current);
    auto n = static_cast<size_t>(elements);
    auto* xs = static_cast<redisReply**>(allocate(a, n * sizeof(redisReply*)));
    if (xs == nullptr)
      return nullptr;
    std::memset(xs, 0, n * sizeof(redisReply*));
    r->element = xs;
  }
  r->elements = static_cast<size_t>(elements > 0 ? elements : 0);
  return r;
}

void* create_integer(const redisReadTask* task, long long value) {
  auto* r = new_node(task, REDIS_REPLY_INTEGER);
  if (r != nullptr)
    r->integer = value;
  return r;
}

void* create_nil(const redisReadTask* task) {
  return new_node(task, REDIS_REPLY_NIL);
}

// hiredis calls this for the root of a reply it abandons (protocol error,
// reader freed mid-reply).
void free_object(void* obj) {
  free_reply(static_cast<redisReply*>(obj));
}

redisReplyObjectFunctions functions
    = {create_string, create_array, create_integer, create_nil, free_object};

} // namespace

void use_reply_arenas(redisReader* reader, arena_context* context) {
  reader->fn = &functions;
  reader->privdata = context;
}

void free_reply(redisReply* reply) {
  if (reply == nullptr)
    return;
  auto* a = arena_of(reply);
  auto* first = a->first;
  auto* b = a->head;
  while (b != nullptr) {
    auto* next = b->next;
    if (b != first)
      std::free(b);
    b = next;
  }
  std::free(first);
}

} // namespace cursor::tailer
