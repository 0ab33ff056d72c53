#include "cli/commands.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "cli/chunked_set.hpp"
#include "cli/connect.hpp"
#include "cli/duration.hpp"
#include "cli/exit_codes.hpp"
#include "cli/health.hpp"
#include "cli/import_plan.hpp"
#include "cli/output.hpp"
#include "cli/output_file.hpp"
#include "cli/peer_list.hpp"
#include "common/describe.hpp"
#include "common/standard_streams.hpp"
#include "cursor_actor/backup_name.hpp"
#include "cursor_actor/error.hpp"
#include "cursor_actor/stream_id.hpp"

namespace cursor::cli {

namespace {

// What a command handler gets.
struct context {
  caf::actor_system& sys;
  const cursor_actor& node;
  const cli_args& args;
  std::ostream& out;
  std::ostream& err;
  output_file* output;
  const std::vector<file_entry>& entries;
};

void report(const context& ctx, const caf::error& e) {
  if (e == caf::sec::request_timeout)
    ctx.err << "cursorctl: " << ctx.args.command << ": no answer from the "
            << "node within " << format_timeout(ctx.args.timeout) << '\n';
  else
    ctx.err << "cursorctl: " << ctx.args.command << ": " << app::describe(e)
            << '\n';
}

// One request, one answer: `on_value` handles the reply; an error becomes
// one line and its exit code.
template <class OnValue, class... Ts>
int ask(const context& ctx, OnValue on_value, Ts&&... xs) {
  int code = exit_ok;
  caf::scoped_actor self{ctx.sys};
  self->request(ctx.node, ctx.args.timeout, std::forward<Ts>(xs)...)
      .receive(on_value, [&](caf::error& e) {
        code = exit_code_for(e);
        report(ctx, e);
      });
  return code;
}

int64_t now_unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

// `--older-than`: keeps the cursors whose last change is at least that old,
// by this machine's clock.
void keep_older(std::vector<cursor_entry>& xs, const cli_args& args) {
  if (!args.older_than)
    return;
  auto cutoff = now_unix_ms() - args.older_than->count();
  xs.erase(std::remove_if(
               xs.begin(), xs.end(),
               [&](const cursor_entry& x) { return x.updated_at > cutoff; }),
           xs.end());
}

// One page of the paged list. The node runs at most 16 paged lists at once
// and refuses more with invalid_list_request; the page size was checked
// before connecting, so that is the only cause here: the page is asked again
// with backoff (10 ms doubling to 250 ms) until --timeout has passed since
// its first attempt (each attempt waits at most what is left of it), then
// the refusal is reported (exit 3).
int ask_page(const context& ctx, const std::string& after,
             cursor_page& result) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + ctx.args.timeout;
  auto delay = std::chrono::milliseconds{10};
  for (;;) {
    caf::error failure;
    bool answered = false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - clock::now());
    caf::scoped_actor self{ctx.sys};
    self->request(ctx.node, std::max(left, std::chrono::milliseconds{1}),
                  list_atom_v, after, ctx.args.page_size)
        .receive(
            [&](cursor_page& page) {
              result = std::move(page);
              answered = true;
            },
            [&](caf::error& e) { failure = std::move(e); });
    if (answered)
      return exit_ok;
    if (!is(failure, errc::invalid_list_request)) {
      report(ctx, failure);
      return exit_code_for(failure);
    }
    if (clock::now() + delay >= deadline) {
      ctx.err << "cursorctl: " << ctx.args.command
              << ": the node had no free paged-list slot within "
              << format_timeout(ctx.args.timeout)
              << " (16 paged lists run at once; retry later or raise "
                 "--timeout): "
              << app::describe(failure) << '\n';
      return exit_code_for(failure);
    }
    // A blocking client between two requests: nothing else to serve.
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds{250});
  }
}

// Asks the node for every cursor in peer order, page by page (`--page-size`
// per request, so that no request costs the node more than one page), and
// hands each page to `on_page`, which returns false to stop (its output
// failed: exit_output); returns an exit code. A peer present during the whole
// listing is met exactly once; values are those of its page.
template <class OnPage>
int for_each_page(const context& ctx, OnPage on_page) {
  std::string after;
  for (;;) {
    cursor_page page;
    if (auto code = ask_page(ctx, after, page); code != exit_ok)
      return code;
    bool more = page.more;
    // Each page must start after the last: a node that answers otherwise
    // would make this loop forever.
    bool advanced = !more || page.next > after;
    after = std::move(page.next);
    bool keep_going = on_page(page.entries);
    if (!keep_going)
      return exit_output;
    if (!advanced) {
      ctx.err << "cursorctl: the node answered a page of list that does not "
                 "advance; stopped\n";
      return exit_unreachable;
    }
    if (!more)
      return exit_ok;
  }
}

int cmd_get(const context& ctx) {
  return ask(
      ctx,
      [&](const cursor_lookup& x) {
        print_lookup(ctx.out, ctx.args.peer, x, ctx.args.json);
      },
      get_atom_v, ctx.args.peer);
}

int cmd_set(const context& ctx) {
  auto done = [&](ok_atom) { ctx.out << "ok\n"; };
  if (ctx.args.force)
    return ask(ctx, done, set_atom_v, force_atom_v, ctx.args.peer,
               ctx.args.stream_id);
  return ask(ctx, done, set_atom_v, ctx.args.peer, ctx.args.stream_id);
}

int cmd_delete(const context& ctx) {
  return ask(
      ctx,
      [&](bool existed) {
        ctx.out << (existed ? "deleted\n"
                            : "no cursor for this peer; nothing deleted\n");
      },
      delete_atom_v, ctx.args.peer);
}

int cmd_list(const context& ctx) {
  std::vector<cursor_entry> xs;
  auto code = for_each_page(ctx, [&](std::vector<cursor_entry>& page) {
    keep_older(page, ctx.args);
    xs.insert(xs.end(), std::make_move_iterator(page.begin()),
              std::make_move_iterator(page.end()));
    return true;
  });
  if (code != exit_ok)
    return code;
  print_list(ctx.out, xs, ctx.args.json);
  return exit_ok;
}

// Writes each page as it arrives, so the CLI holds one page, not the whole
// store. Into a file (`-o`), the file appears only once every page is written.
// To stdout, each page is flushed: a write that fails (a full disk, a reader
// that stopped) stops the export at that page, and main() reports it.
int cmd_export(const context& ctx) {
  auto& sink = ctx.output != nullptr ? ctx.output->stream() : ctx.out;
  bool csv = ctx.args.format == export_format::csv;
  bool first = true;
  size_t count = 0;
  auto code = for_each_page(ctx, [&](std::vector<cursor_entry>& page) {
    keep_older(page, ctx.args);
    if (csv)
      write_csv(sink, page, first);
    else
      write_json_lines(sink, page);
    first = false;
    count += page.size();
    return app::flush_checked(sink);
  });
  if (code != exit_ok)
    return code;
  if (ctx.output == nullptr)
    return exit_ok;
  if (auto err = ctx.output->commit(); !err.empty()) {
    ctx.err << "cursorctl: export: " << err << '\n';
    return exit_refused;
  }
  ctx.out << "exported " << count << " cursors to '" << ctx.output->path()
          << "'\n";
  return exit_ok;
}

int cmd_flush(const context& ctx) {
  return ask(
      ctx, [&](uint64_t rows) { ctx.out << "flushed " << rows << " rows\n"; },
      flush_atom_v);
}

int cmd_checkpoint(const context& ctx) {
  return ask(
      ctx, [&](const checkpoint_info& x) { print_checkpoint(ctx.out, x); },
      checkpoint_atom_v);
}

int cmd_stats(const context& ctx) {
  return ask(
      ctx,
      [&](const cursor_stats& x) {
        print_stats(ctx.out, x, ctx.args.json, ctx.args.prometheus);
      },
      stats_atom_v);
}

int cmd_health(const context& ctx) {
  int code = exit_ok;
  caf::scoped_actor self{ctx.sys};
  self->request(ctx.node, ctx.args.timeout, stats_atom_v)
      .receive(
          [&](const cursor_stats& x) {
            code = print_health(ctx.out, x, ctx.args.json);
          },
          [&](caf::error& e) {
            // The node is up but its store is not serving: stopped or
            // closed, gone (`unavailable`), or not answering the front in
            // time (`timeout`).
            if (is(e, errc::stopped) || is(e, errc::closed)
                || is(e, errc::unavailable) || is(e, errc::timeout)) {
              code
                  = print_not_serving(ctx.out, app::describe(e), ctx.args.json);
              return;
            }
            code = exit_code_for(e);
            report(ctx, e);
          });
  return code;
}

// -- import and rewind
// ----------------------------------------------------------

// The node's cursors (paged, as `list` reads them), or an exit code.
int current_cursors(const context& ctx, std::vector<cursor_entry>& out) {
  out.clear();
  return for_each_page(ctx, [&](std::vector<cursor_entry>& page) {
    out.insert(out.end(), std::make_move_iterator(page.begin()),
               std::make_move_iterator(page.end()));
    return true;
  });
}

std::string lines_of(size_t first, size_t last) {
  if (first == last)
    return "line " + std::to_string(first);
  return "lines " + std::to_string(first) + "-" + std::to_string(last);
}

// The end of a run stopped by a chunk whose answer was lost: one line per
// entry read back as unknown with a value (those not read are counted), the
// chunk's line, then the summary of the run.
void report_read_back(const context& ctx, const chunked_outcome& res,
                      size_t total, const std::string& chunk,
                      const std::string& conflicts) {
  auto& cmd = ctx.args.command;
  auto shown = [](const std::string& x) {
    return x.empty() ? std::string{"no cursor"} : x;
  };
  size_t not_read = 0;
  std::string why_not_read;
  for (auto& x : res.read_back) {
    if (x.state != read_state::unknown)
      continue;
    if (!x.was_read) {
      ++not_read;
      why_not_read = x.read;
      continue;
    }
    ctx.err << "cursorctl: " << cmd << ": line " << x.line << ": '" << x.peer
            << "' unknown: read " << x.read << ", planned " << shown(x.from)
            << " -> " << x.target
            << (x.ordered ? " (changed by another client; the chunk may "
                            "have applied before that)"
                          : " (read through a new connection: the lost one "
                            "may still deliver the chunk)")
            << '\n';
  }
  auto applied = res.read_back_count(read_state::applied);
  auto not_applied = res.read_back_count(read_state::not_applied);
  auto unknown = res.read_back_count(read_state::unknown);
  ctx.err << "cursorctl: " << cmd << ": " << chunk << " read back: " << applied
          << " applied, " << not_applied << " not applied, " << unknown
          << " unknown";
  if (not_read > 0)
    ctx.err << " (" << not_read << ' ' << why_not_read << ')';
  ctx.err << '\n';
  auto sent = res.applied_entries + res.read_back.size();
  ctx.err << "cursorctl: " << cmd << ": stopped at " << chunk << ": "
          << res.applied_entries + applied << " of " << total
          << " entries applied, " << unknown << " unknown, "
          << not_applied + (total > sent ? total - sent : 0) << " not applied"
          << conflicts;
  if (res.failed_chunk < res.chunks)
    ctx.err << "; chunks " << res.failed_chunk + 1 << "-" << res.chunks
            << " were not sent";
  ctx.err << "; running the same " << cmd << " again is safe\n";
}

// Applies what `plan` changes (entries that would change nothing are not
// sent), each only where the peer is still as planned (conditional sets),
// then commits unless --no-flush. Prints the summary line; an entry whose
// peer changed since the plan is named on `err`, counted, not applied, and
// makes the exit code exit_refused. A chunk whose answer was lost is read
// back and reported peer by peer (report_read_back), exit 2.
int apply_plan(const context& ctx, const import_plan& plan, bool force,
               const char* done) {
  auto& cmd = ctx.args.command;
  std::vector<planned_change> changes;
  for (auto& x : plan.changes)
    if (x.kind != change::unchanged)
      changes.push_back(x);
  auto summary = std::to_string(plan.added) + " new, "
                 + std::to_string(plan.advanced) + " advanced, "
                 + std::to_string(plan.moved_back) + " moved back, "
                 + std::to_string(plan.unchanged) + " unchanged";
  if (changes.empty()) {
    ctx.out << "nothing to change: " << summary << '\n';
    return exit_ok;
  }
  chunk_options opts;
  opts.timeout = ctx.args.timeout;
  opts.read_back_timeout = ctx.args.timeout;
  opts.force = force;
  opts.chunk_size = ctx.args.chunk_size;
  // The progress line is for a person watching: only on a terminal.
  opts.progress = ::isatty(STDERR_FILENO) == 1 ? &ctx.err : nullptr;
  opts.label = cmd;
  auto what_failed = [&](const caf::error& e) {
    if (e == caf::sec::request_timeout)
      return "no answer from the node within "
             + format_timeout(ctx.args.timeout);
    return app::describe(e);
  };
  auto chunk_name = [&](const chunked_outcome& r) {
    return "chunk " + std::to_string(r.failed_chunk) + " of "
           + std::to_string(r.chunks) + " ("
           + lines_of(r.failed_first_line, r.failed_last_line) + ")";
  };
  opts.on_read_back = [&](const chunked_outcome& r) {
    ctx.err << "cursorctl: " << cmd << ": " << chunk_name(r) << ": "
            << what_failed(r.error)
            << "; the node may have applied it or may still apply it: "
               "reading its "
            << r.read_back.size()
            << (r.read_back.size() == 1 ? " peer back" : " peers back")
            << std::endl;
  };
  opts.reconnect = [&]() -> std::optional<cursor_actor> {
    std::string ignored;
    return connect_to_node(ctx.sys, ctx.args.host, ctx.args.port,
                           ctx.args.timeout, ignored);
  };
  auto res = set_in_chunks(ctx.sys, ctx.node, changes, opts);
  for (auto& x : res.conflicts)
    ctx.err << "cursorctl: " << cmd << ": line " << x.line << ": '" << x.peer
            << "' changed since it was read; not applied: " << x.message
            << '\n';
  std::string conflicts;
  if (!res.conflicts.empty())
    conflicts = "; " + std::to_string(res.conflicts.size())
                + " changed since read, not applied";
  if (res.error && res.ambiguous) {
    report_read_back(ctx, res, changes.size(), chunk_name(res), conflicts);
    return exit_code_for(res.error);
  }
  if (res.error) {
    ctx.err << "cursorctl: " << cmd << ": " << chunk_name(res);
    if (res.refused_line > 0)
      ctx.err << " refused at line " << res.refused_line;
    ctx.err << ": " << what_failed(res.error) << conflicts << "; ";
    if (res.applied_chunks == 0)
      ctx.err << "nothing was applied";
    else
      ctx.err << "chunks 1-" << res.applied_chunks << " ("
              << res.applied_entries
              << " entries) stay applied, the rest was not applied; running "
                 "the same "
              << cmd << " again is safe";
    ctx.err << '\n';
    return exit_code_for(res.error);
  }
  ctx.out << done << ": " << summary << conflicts << " (" << res.applied_entries
          << " entries in " << res.chunks << " chunks)\n";
  int code = res.conflicts.empty() ? exit_ok : exit_refused;
  if (ctx.args.no_flush) {
    ctx.out << "not flushed (--no-flush): the node commits the changes with "
               "its next flush\n";
    return code;
  }
  caf::scoped_actor self{ctx.sys};
  self->request(ctx.node, ctx.args.timeout, flush_atom_v)
      .receive(
          [&](uint64_t rows) {
            ctx.out << "flushed " << rows << " rows: the changes are durable\n";
          },
          [&](caf::error& e) {
            code = exit_code_for(e);
            ctx.err << "cursorctl: " << cmd
                    << ": the changes were applied but the flush failed: "
                    << (e == caf::sec::request_timeout
                            ? "no answer from the node within "
                                  + format_timeout(ctx.args.timeout)
                            : app::describe(e))
                    << "; they stay in the node's memory and its next flush "
                       "retries\n";
          });
  return code;
}

void print_dry_run(const context& ctx, const import_plan& plan, bool force) {
  print_plan(ctx.out, plan);
  ctx.out << "dry run: nothing was changed";
  if (plan.moved_back > 0 && !force)
    ctx.out << " (" << plan.moved_back
            << " moved back: refused without --force)";
  ctx.out << '\n';
}

int cmd_import(const context& ctx) {
  std::vector<cursor_entry> current;
  if (auto code = current_cursors(ctx, current); code != exit_ok)
    return code;
  auto plan = make_plan(ctx.entries, current);
  if (ctx.args.dry_run) {
    print_dry_run(ctx, plan, ctx.args.force);
    return exit_ok;
  }
  if (plan.moved_back > 0 && !ctx.args.force) {
    auto first = std::find_if(
        plan.changes.begin(), plan.changes.end(),
        [](const planned_change& x) { return x.kind == change::moved_back; });
    ctx.err << "cursorctl: import: " << plan.moved_back
            << " entries would move cursors back (first: line "
            << first->entry.line << ", '" << first->entry.peer << "' "
            << first->current << " -> " << first->entry.stream_id
            << "); nothing was changed (--force allows it, --dry-run lists "
               "them)\n";
    return exit_refused;
  }
  return apply_plan(ctx, plan, ctx.args.force, "imported");
}

int cmd_rewind(const context& ctx) {
  std::vector<cursor_entry> current;
  if (auto code = current_cursors(ctx, current); code != exit_ok)
    return code;
  std::vector<file_entry> targets;
  auto& to = ctx.args.rewind_to;
  if (!ctx.args.prefix.empty()) {
    auto& p = ctx.args.prefix;
    for (auto& x : current)
      if (x.peer.compare(0, p.size(), p) == 0)
        targets.push_back(file_entry{x.peer, to, targets.size() + 1});
    if (targets.empty()) {
      ctx.err << "cursorctl: rewind: no cursor's peer ID starts with '" << p
              << "'; nothing was changed\n";
      return exit_refused;
    }
  } else {
    std::set<std::string> known;
    for (auto& x : current)
      known.insert(x.peer);
    size_t unknown = 0;
    const file_entry* first = nullptr;
    for (auto& x : ctx.entries) {
      if (known.count(x.peer) == 0) {
        ++unknown;
        if (first == nullptr)
          first = &x;
        continue;
      }
      targets.push_back(file_entry{x.peer, to, x.line});
    }
    if (unknown > 0) {
      ctx.err << "cursorctl: rewind: line " << first->line << ": unknown peer '"
              << first->peer << "' (" << unknown
              << " listed peers have no cursor; rewind moves existing "
                 "cursors only); nothing was changed\n";
      return exit_refused;
    }
  }
  auto plan = make_plan(targets, current);
  if (ctx.args.dry_run) {
    print_dry_run(ctx, plan, true);
    return exit_ok;
  }
  return apply_plan(ctx, plan, true, "rewound");
}

int cmd_backup(const context& ctx) {
  return ask(
      ctx,
      [&](uint64_t rows) {
        ctx.out << "backup '" << ctx.args.backup_name << "' written: " << rows
                << " cursors (in the node's backup directory)\n";
      },
      backup_atom_v, ctx.args.backup_name);
}

using handler = int (*)(const context&);

const std::map<std::string, handler>& handlers() {
  static const std::map<std::string, handler> result{
      {"get", cmd_get},
      {"set", cmd_set},
      {"delete", cmd_delete},
      {"list", cmd_list},
      {"export", cmd_export},
      {"flush", cmd_flush},
      {"checkpoint", cmd_checkpoint},
      {"stats", cmd_stats},
      {"health", cmd_health},
      {"import", cmd_import},
      {"rewind", cmd_rewind},
      {"backup", cmd_backup},
  };
  return result;
}

} // namespace

command_runner::command_runner() = default;

command_runner::~command_runner() = default;

namespace {

// Opens `path` for reading (`-` = stdin) and runs `read` on it; false with
// one line on `err` when the file cannot be read.
template <class Read>
bool read_input(const std::string& path, const std::string& what,
                std::ostream& err, Read read) {
  if (path == "-")
    return read(std::cin);
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    err << "cursorctl: " << what << ": cannot open '" << path
        << "': " << std::strerror(errno) << "; nothing was changed\n";
    return false;
  }
  return read(in);
}

} // namespace

int command_runner::prepare(const cli_args& args, std::ostream& err) {
  if (args.command == "import") {
    std::string label = args.input == "-" ? "stdin" : "'" + args.input + "'";
    bool ok = read_input(args.input, "import", err, [&](std::istream& in) {
      auto contents = args.format == export_format::csv ? read_csv(in)
                                                        : read_json_lines(in);
      if (!contents.error.empty()) {
        err << "cursorctl: import: " << label << ": " << contents.error
            << "; nothing was changed\n";
        return false;
      }
      entries_ = std::move(contents.entries);
      return true;
    });
    return ok ? exit_ok : exit_refused;
  }
  if (args.command == "rewind") {
    if (auto id = stream_id::parse(args.rewind_to); !id) {
      err << "cursorctl: rewind: --to '" << args.rewind_to
          << "': " << render(id.error()) << '\n';
      return exit_refused;
    }
    if (args.peers_file.empty())
      return exit_ok;
    std::string label
        = args.peers_file == "-" ? "stdin" : "'" + args.peers_file + "'";
    bool ok = read_input(args.peers_file, "rewind", err, [&](std::istream& in) {
      auto list = read_peer_list(in);
      if (!list.error.empty()) {
        err << "cursorctl: rewind: " << label << ": " << list.error
            << "; nothing was changed\n";
        return false;
      }
      entries_ = std::move(list.peers);
      return true;
    });
    return ok ? exit_ok : exit_refused;
  }
  if (args.command == "backup") {
    if (auto e = validate_backup_name(args.backup_name)) {
      err << "cursorctl: backup: " << render(e) << '\n';
      return exit_refused;
    }
    return exit_ok;
  }
  if (args.command == "export" && !args.output.empty()) {
    std::string error;
    auto file = output_file::prepare(args.output, args.overwrite, error);
    if (!file) {
      err << "cursorctl: export: " << error << '\n';
      return exit_refused;
    }
    output_ = std::make_unique<output_file>(std::move(*file));
  }
  return exit_ok;
}

void command_runner::discard() {
  output_.reset();
}

int command_runner::run(caf::actor_system& sys, const cursor_actor& node,
                        const cli_args& args, std::ostream& out,
                        std::ostream& err) {
  auto i = handlers().find(args.command);
  if (i == handlers().end()) {
    err << "cursorctl: unknown command '" << args.command << "'\n";
    return exit_refused;
  }
  return i->second(context{sys, node, args, out, err, output_.get(), entries_});
}

} // namespace cursor::cli
