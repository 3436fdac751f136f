#include "bench/tool/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "bench/tool/catalog.hpp"
#include "bench/tool/net_profile.hpp"
#include "client/png_file.hpp"
#include "codecs/metrics.hpp"

namespace rd::bench {

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

double num(const nlohmann::json& r, const char* k) { return r.contains(k) && r[k].is_number() ? r[k].get<double>() : NAN; }
std::string cell(const nlohmann::json& r, const char* k, const char* f) {
  double v = num(r, k);
  return std::isnan(v) ? "-" : fmt(f, v);
}

// App runs: the viewer's last frame against the server's screen; X runs: against xwd -root.
std::string exact_cell(const nlohmann::json& r) {
  const char* k = r.contains("bit_exact") ? "bit_exact" : r.contains("final_exact") ? "final_exact" : nullptr;
  if (!k) return "-";
  return r[k].get<bool>() ? "yes" : "**no**";
}

std::string key(const nlohmann::json& r) {
  return r["workload"].get<std::string>() + "|" + r["encoding"].get<std::string>() + "|" + r["profile"].get<std::string>();
}

// Order: the catalogue's, so tables read the same way in every report.
template <class T>
std::vector<std::string> present(const nlohmann::json& rows, const char* field, const std::vector<T>& catalogue) {
  std::set<std::string> seen;
  for (const auto& r : rows)
    if (r.contains(field)) seen.insert(r[field].get<std::string>());
  std::vector<std::string> out;
  for (const auto& c : catalogue)
    if (seen.erase(c.name)) out.push_back(c.name);
  out.insert(out.end(), seen.begin(), seen.end());  // not in the catalogue: replayed traces
  return out;
}

// First repeat of each (workload, encoding, profile) that succeeded.
std::map<std::string, nlohmann::json> firsts(const nlohmann::json& rows) {
  std::map<std::string, nlohmann::json> m;
  for (const auto& r : rows)
    if (!r.contains("error") && !m.count(key(r))) m[key(r)] = r;
  return m;
}

const nlohmann::json* find(const std::map<std::string, nlohmann::json>& m, const std::string& w, const std::string& e, const std::string& p) {
  auto it = m.find(w + "|" + e + "|" + p);
  return it == m.end() ? nullptr : &it->second;
}

// Rows = workloads, columns = encodings, for gnuplot ("-" where there is no value).
void write_dat(const std::string& path, const std::vector<std::string>& wls, const std::vector<std::string>& encs,
               const std::map<std::string, nlohmann::json>& m, const std::string& profile, const char* field, double scale) {
  std::ofstream f(path);
  f << "workload";
  for (const auto& e : encs) f << " " << e;
  f << "\n";
  for (const auto& w : wls) {
    f << w;
    for (const auto& e : encs) {
      const nlohmann::json* r = find(m, w, e, profile);
      double v = r ? num(*r, field) : NAN;
      f << " " << (std::isnan(v) || v <= 0 ? std::string("-") : fmt("%.6g", v * scale));
    }
    f << "\n";
  }
}

// Runs in the report's folder: the scripts name their data and images relative to it.
bool gnuplot(const std::string& dir, const std::string& script_name, const std::string& script) {
  std::ofstream(dir + "/" + script_name) << script;
  return std::system(("cd '" + dir + "' && gnuplot " + script_name + " 2>" + script_name + ".err").c_str()) == 0;
}

std::string histogram_script(const std::string& dat, const std::string& png, const std::string& title, const std::string& ylabel,
                             std::size_t columns, bool log) {
  std::ostringstream s;
  s << "set terminal pngcairo size 1400,700 font 'DejaVu Sans,11'\nset output '" << png << "'\n"
    << "set title '" << title << "'\nset ylabel '" << ylabel << "'\nset xlabel 'workload'\n"
    << "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.85 border -1\n"
    << "set datafile missing '-'\nset key outside right top vertical\nset grid ytics\nset xtics rotate by -20\n";
  if (log) s << "set logscale y\nset format y '10^{%L}'\n";
  s << "plot for [i=2:" << columns + 1 << "] '" << dat << "' using i:xtic(1) title columnheader(i)\n";
  return s.str();
}

}  // namespace

void add_cross_run_figures(nlohmann::json& rows) {
  // PSNR of a lossy run's last frame against the lossless pixels run of the same
  // workload and network (the same final screen, bit-exact).
  for (auto& r : rows) {
    if (!r.value("lossy", false) || r.contains("error") || !r.contains("screenshot")) continue;
    for (const auto& ref : rows)
      if (ref["workload"] == r["workload"] && ref["profile"] == r["profile"] && ref["encoding"] == "pixels-auto" && ref.contains("screenshot") &&
          !ref.contains("error")) {
        try {
          double v = psnr(read_png(r["screenshot"].get<std::string>()), read_png(ref["screenshot"].get<std::string>()));
          r["psnr_db"] = std::isinf(v) ? 99.0 : v;
        } catch (const std::exception&) {
        }
        break;
      }
  }
}

static const std::vector<std::pair<const char*, const char*>> kColumns = {
    {"workload", ""}, {"encoding", ""}, {"style", ""}, {"profile", ""}, {"repeat", ""}, {"bytes", "%.0f"}, {"bytes_down", "%.0f"},
    {"bytes_up", "%.0f"}, {"frames", "%.0f"}, {"seconds", "%.3f"}, {"mbit_s", "%.3f"}, {"update_p50_ms", "%.3f"}, {"update_p99_ms", "%.3f"},
    {"input_p50_ms", "%.3f"}, {"input_p99_ms", "%.3f"}, {"inputs", "%.0f"}, {"server_cpu_s", "%.3f"}, {"viewer_cpu_s", "%.3f"},
    {"xserver_cpu_s", "%.3f"}, {"encode_mpix_s", "%.1f"}, {"encoder_tlp", "%.2f"}, {"decoder_tlp", "%.2f"}, {"psnr_db", "%.2f"},
    {"server_peak_rss_mib", "%.1f"}, {"viewer_peak_rss_mib", "%.1f"}, {"bit_exact", ""}, {"final_exact", ""}, {"error", ""}};

void write_csv(const nlohmann::json& rows, const std::string& path) {
  std::ofstream f(path);
  for (std::size_t i = 0; i < kColumns.size(); ++i) f << (i ? "," : "") << kColumns[i].first;
  f << "\n";
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < kColumns.size(); ++i) {
      const auto& [k, format] = kColumns[i];
      if (i) f << ",";
      if (!r.contains(k)) continue;
      const auto& v = r[k];
      if (v.is_string()) {
        std::string s = v.get<std::string>();
        std::replace(s.begin(), s.end(), '"', '\'');
        f << '"' << s << '"';
      } else if (v.is_boolean()) {
        f << (v.get<bool>() ? "true" : "false");
      } else if (v.is_number()) {
        f << (*format ? fmt(format, v.get<double>()) : std::to_string(v.get<long>()));
      }
    }
    f << "\n";
  }
}

std::string write_report(const nlohmann::json& rows, const RunInfo& info, const std::string& dir) {
  const auto m = firsts(rows);
  const auto wls = present(rows, "workload", workloads());
  const auto encs = present(rows, "encoding", encodings());
  const auto profs = present(rows, "profile", net_profiles());
  std::ostringstream md;
  md << "# rdisplay-bench report\n\n"
     << "- command: `" << info.command << "`\n- machine: " << info.machine << "\n- started: " << info.started
     << "\n- took: " << fmt("%.0f", info.seconds) << " s, " << rows.size() << " runs\n\n"
     << "Bytes are everything on the wire between server and viewer (both ways), counted by the bench's relay, from the start of the "
        "workload until the screen is idle. For X workloads, the x11-wire row is the X client's own connection to the X server "
        "(the X11 protocol, the classic X11-style baseline). Times and CPU are only comparable within this run.\n\n";

  // The question the tool exists for.
  md << "## X11 style or VNC style?\n\n"
     << "Per workload and network: the smallest X11-style stream (ops, x11-wire) against the smallest VNC-style one (pixels, RFB, "
        "the VNC peers); the ratio is VNC bytes / X11 bytes (above 1: X11 style sends less).\n\n"
     << "| workload | network | best X11 style | bytes | best VNC style | bytes | VNC / X11 | winner |\n|---|---|---|---:|---|---:|---:|---|\n";
  for (const auto& p : profs)
    for (const auto& w : wls) {
      const nlohmann::json *bx = nullptr, *bv = nullptr;
      for (const auto& e : encs) {
        const nlohmann::json* r = find(m, w, e, p);
        if (!r || r->value("lossy", false)) continue;
        const std::string style = (*r)["style"];
        if (style == "mixed") continue;  // auto picks between the two; it is neither
        const nlohmann::json*& best = style == "x11" ? bx : bv;
        if (!best || num(*r, "bytes") < num(*best, "bytes")) best = r;
      }
      if (!bx || !bv) continue;
      double ratio = num(*bv, "bytes") / std::max(1.0, num(*bx, "bytes"));
      md << "| " << w << " | " << p << " | " << (*bx)["encoding"].get<std::string>() << " | " << fmt("%.0f", num(*bx, "bytes")) << " | "
         << (*bv)["encoding"].get<std::string>() << " | " << fmt("%.0f", num(*bv, "bytes")) << " | " << fmt("%.2f", ratio) << " | "
         << (ratio > 1.05 ? "X11 style" : ratio < 1 / 1.05 ? "VNC style" : "even") << " |\n";
    }

  for (const auto& p : profs) {
    const NetProfile* np = find_net_profile(p);
    md << "\n## Network: " << p << " (" << (np ? np->describe() : p) << ")\n";
    for (const auto& w : wls) {
      const nlohmann::json* base = find(m, w, "pixels-auto", p);
      bool any = false;
      for (const auto& e : encs) any = any || find(m, w, e, p);
      if (!any) continue;
      md << "\n### " << w << "\n\n"
         << "| encoding | style | bytes | vs pixels-auto | frames | Mbit/s | update p50/p99 ms | input p50/p99 ms | server CPU s | viewer CPU s | "
            "Xvfb CPU s | encode Mpix/s | TLP enc/dec | PSNR dB | peak RSS MiB srv/viewer | bit-exact |\n"
         << "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n";
      for (const auto& e : encs) {
        const nlohmann::json* r = find(m, w, e, p);
        if (!r) continue;
        std::string vs = base ? fmt("%.3f", num(*r, "bytes") / std::max(1.0, num(*base, "bytes"))) : "-";
        md << "| " << e << " | " << (*r)["style"].get<std::string>() << " | " << cell(*r, "bytes", "%.0f") << " | " << vs << " | "
           << cell(*r, "frames", "%.0f") << " | " << cell(*r, "mbit_s", "%.2f") << " | " << cell(*r, "update_p50_ms", "%.2f") << " / "
           << cell(*r, "update_p99_ms", "%.2f") << " | " << cell(*r, "input_p50_ms", "%.1f") << " / " << cell(*r, "input_p99_ms", "%.1f") << " | "
           << cell(*r, "server_cpu_s", "%.2f") << " | " << cell(*r, "viewer_cpu_s", "%.2f") << " | " << cell(*r, "xserver_cpu_s", "%.2f") << " | "
           << cell(*r, "encode_mpix_s", "%.0f") << " | " << cell(*r, "encoder_tlp", "%.2f") << " / " << cell(*r, "decoder_tlp", "%.2f") << " | "
           << (r->contains("psnr_db") ? fmt("%.1f", num(*r, "psnr_db")) : "-") << " | " << cell(*r, "server_peak_rss_mib", "%.0f") << " / "
           << cell(*r, "viewer_peak_rss_mib", "%.0f") << " | "
           << exact_cell(*r) << " |\n";
      }
    }
  }

  // Repeats: how far apart the bytes of the same run were.
  std::map<std::string, std::vector<double>> reps;
  for (const auto& r : rows)
    if (!r.contains("error")) reps[key(r)].push_back(num(r, "bytes"));
  bool repeated = std::any_of(reps.begin(), reps.end(), [](const auto& kv) { return kv.second.size() > 1; });
  if (repeated) {
    md << "\n## Repeatability\n\nBytes of the same run repeated: (max − min) / min. App workloads run a fixed script; X workloads depend "
          "on when the X server and the capture happen to run.\n\n| workload | encoding | network | runs | spread |\n|---|---|---|---:|---:|\n";
    for (const auto& [k, v] : reps) {
      if (v.size() < 2) continue;
      auto [lo, hi] = std::minmax_element(v.begin(), v.end());
      std::string w = k.substr(0, k.find('|')), rest = k.substr(k.find('|') + 1);
      md << "| " << w << " | " << rest.substr(0, rest.find('|')) << " | " << rest.substr(rest.find('|') + 1) << " | " << v.size() << " | "
         << fmt("%.2f %%", 100 * (*hi - *lo) / std::max(1.0, *lo)) << " |\n";
    }
  }
  std::string errors;
  for (const auto& r : rows)
    if (r.contains("error"))
      errors += "| " + r["workload"].get<std::string>() + " | " + r["encoding"].get<std::string>() + " | " + r["profile"].get<std::string>() +
                " | " + r["error"].get<std::string>().substr(0, 300) + " |\n";
  if (!errors.empty()) md << "\n## Failed runs\n\n| workload | encoding | network | error |\n|---|---|---|---|\n" << errors;

  // Plots, for the first network profile with most runs and for input latency.
  std::string missing;
  md << "\n## Plots\n\n";
  for (const auto& p : profs) {
    std::vector<std::string> encs_here;
    for (const auto& e : encs)
      for (const auto& w : wls)
        if (find(m, w, e, p)) {
          encs_here.push_back(e);
          break;
        }
    struct Plot {
      std::string name, field, title, ylabel;
      double scale;
      bool log;
    };
    for (const Plot& pl : {Plot{"bytes", "bytes", "Bytes on the wire per workload (" + p + ")", "MB (log scale)", 1e-6, true},
                           Plot{"server-cpu", "server_cpu_s", "Server CPU per workload (" + p + ")", "CPU seconds (log scale)", 1, true}}) {
      std::string stem = pl.name + "-" + p;
      write_dat(dir + "/" + stem + ".dat", wls, encs_here, m, p, pl.field.c_str(), pl.scale);
      if (gnuplot(dir, stem + ".gp", histogram_script(stem + ".dat", stem + ".png", pl.title, pl.ylabel, encs_here.size(), pl.log)))
        md << "![" << pl.title << "](" << stem << ".png)\n\n";
      else
        missing += stem + ".png ";
    }
  }
  // Input-to-display latency across networks.
  {
    std::vector<std::string> input_encs;
    for (const auto& e : encs)
      for (const auto& p : profs)
        if (const nlohmann::json* r = find(m, "desktop-input", e, p); r && r->contains("input_p50_ms")) {
          input_encs.push_back(e);
          break;
        }
    if (!input_encs.empty()) {
      std::ofstream f(dir + "/input-latency.dat");
      f << "network";
      for (const auto& e : input_encs) f << " " << e << "-p50 " << e << "-p99";
      f << "\n";
      for (const auto& p : profs) {
        f << p;
        for (const auto& e : input_encs) {
          const nlohmann::json* r = find(m, "desktop-input", e, p);
          f << " " << (r && r->contains("input_p50_ms") ? fmt("%.3f", num(*r, "input_p50_ms")) : "-") << " "
            << (r && r->contains("input_p99_ms") ? fmt("%.3f", num(*r, "input_p99_ms")) : "-");
        }
        f << "\n";
      }
      f.close();
      std::string s = histogram_script("input-latency.dat", "input-latency.png", "Input-to-display latency, desktop-input (p50 and p99)",
                                       "milliseconds (log scale)", input_encs.size() * 2, true);
      s = std::string(s).replace(s.find("set xlabel 'workload'"), 21, "set xlabel 'network profile'");
      if (gnuplot(dir, "input-latency.gp", s))
        md << "![Input-to-display latency](input-latency.png)\n\n";
      else
        missing += "input-latency.png ";
    }
  }
  std::ofstream(dir + "/report.md") << md.str();
  return missing.empty() ? "" : "could not draw (is gnuplot installed?): " + missing;
}

}  // namespace rd::bench
