#include "cli/commands.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "cli/duration.hpp"
#include "cli/exit_codes.hpp"
#include "cli/health.hpp"
#include "cli/output.hpp"
#include "cli/output_file.hpp"
#include "common/describe.hpp"
#include "cursor_actor/error.hpp"

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
  return ask(
      ctx,
      [&](std::vector<cursor_entry>& xs) {
        keep_older(xs, ctx.args);
        print_list(ctx.out, xs, ctx.args.json);
      },
      list_atom_v);
}

int cmd_export(const context& ctx) {
  int written = exit_ok;
  auto asked = ask(
      ctx,
      [&](std::vector<cursor_entry>& xs) {
        keep_older(xs, ctx.args);
        auto& sink = ctx.output != nullptr ? ctx.output->stream() : ctx.out;
        if (ctx.args.format == export_format::csv)
          write_csv(sink, xs);
        else
          write_json_lines(sink, xs);
        if (ctx.output == nullptr)
          return;
        if (auto err = ctx.output->commit(); !err.empty()) {
          ctx.err << "cursorctl: export: " << err << '\n';
          written = exit_refused;
          return;
        }
        ctx.out << "exported " << xs.size() << " cursors to '"
                << ctx.output->path() << "'\n";
      },
      list_atom_v);
  return asked != exit_ok ? asked : written;
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
            // The front answers `stopped` when its store is gone or does
            // not answer: the node is up, the store is not serving.
            if (is(e, errc::stopped) || is(e, errc::closed)) {
              code
                  = print_not_serving(ctx.out, app::describe(e), ctx.args.json);
              return;
            }
            code = exit_code_for(e);
            report(ctx, e);
          });
  return code;
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
  };
  return result;
}

} // namespace

command_runner::command_runner() = default;

command_runner::~command_runner() = default;

int command_runner::prepare(const cli_args& args, std::ostream& err) {
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
  return i->second(context{sys, node, args, out, err, output_.get()});
}

} // namespace cursor::cli
