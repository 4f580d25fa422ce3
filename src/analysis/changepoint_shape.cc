// The shape of the level shifts of change point detection (changepoint.h, step 5): a step, a
// part of a drift (one flat-ramp-flat move, trend.h), or a part of an oscillation (nothing).
#include <algorithm>
#include <cmath>
#include <optional>

#include "analysis/changepoint_detail.h"
#include "analysis/season.h"
#include "analysis/trend.h"

namespace perfledger::analysis {
namespace {

// A shift is a step when its jump is this many standard errors beside a line on either side.
constexpr double kJumpZ = 3;
// A step that strong beside a line either side (in standard errors) stays a step next to a
// drift in its direction; a weaker one is a part of the drift (see Classify). Stricter than
// kJumpZ: each shift of a drift cut in pieces is tested on its own, several at a time.
constexpr double kStrongZ = 4;
// The shortest ramp that may pass for a drift rather than a step.
constexpr size_t kMinRampPoints = 4;
// The step test's ramp search: a coarse grid is enough to tell a step from a ramp.
constexpr size_t kStepTestGrid = 16;
// Shifts in one direction this close together may be one steep drift (see Classify).
constexpr size_t kRunGap = 8;
// A weak step within a drift's length / kDriftEnds of its range belongs to the drift.
constexpr size_t kDriftEnds = 10;
// Absorbing steps into drifts settles in one or two passes; this bounds it.
constexpr int kMaxAbsorbPasses = 4;
// Oscillations (see Oscillations).
constexpr size_t kOscillationMoves = 4;
constexpr double kOscillationSize = 1.5;
constexpr double kOscillationGap = 2;

}  // namespace

// Oscillations (changepoint_detail.h). Consecutive shifts in one direction form a
// move (a season's slope is often cut twice); an oscillation is at least kOscillationMoves
// moves in a row, each undoing the one before (sizes within a factor kOscillationSize), evenly
// spaced (gaps within a factor kOscillationGap). A season cut by the piecewise-constant search
// looks so; steps of a real history almost never do. FindSeason (season.h) takes out a
// season of a whole period; this catches the rest (a period that is not a whole number of
// points drifts against any fixed profile over thousands of cycles). Where the noise breaks the
// pattern, the shifts no larger than the oscillation's moves belong to it too.
std::vector<bool> Oscillations(const std::vector<ChangePoint>& shifts) {
  const size_t count = shifts.size();
  std::vector<bool> out(count);
  struct Move {
    size_t from = 0, to = 0;  // shifts[from, to)
    double size = 0, center = 0;
  };
  std::vector<Move> moves;
  for (size_t i = 0; i < count; ++i) {
    const double move = std::log(shifts[i].after / shifts[i].before);
    if (moves.empty() || (moves.back().size > 0) != (move > 0)) moves.push_back({i, i, 0, 0});
    Move& mv = moves.back();
    mv.center =
        (mv.center * static_cast<double>(mv.to - mv.from) + static_cast<double>(shifts[i].index)) /
        static_cast<double>(mv.to - mv.from + 1);
    mv.size += move;
    mv.to = i + 1;
  }
  std::vector<double> sizes;
  for (size_t j = 0; j < moves.size();) {
    size_t k = j + 1;
    double gap_lo = INFINITY, gap_hi = 0;
    while (k < moves.size()) {
      const double ratio = std::abs(moves[k].size / moves[k - 1].size);
      if (ratio > kOscillationSize || ratio < 1 / kOscillationSize) break;
      const double gap = moves[k].center - moves[k - 1].center;
      const double lo = std::min(gap_lo, gap), hi = std::max(gap_hi, gap);
      // Half a period apart: a longer cycle is a run of real steps (a season is a daily or
      // weekly load, season.h), and so are irregular ones.
      if (hi > kOscillationGap * lo || 2 * gap > static_cast<double>(kMaxSeasonPeriod)) break;
      gap_lo = lo;
      gap_hi = hi;
      ++k;
    }
    if (k - j >= kOscillationMoves) {
      for (size_t i = j; i < k; ++i) {
        sizes.push_back(std::abs(moves[i].size));
        for (size_t t = moves[i].from; t < moves[i].to; ++t) out[t] = true;
      }
      j = k;
    } else {
      ++j;
    }
  }
  if (sizes.empty()) return out;
  const double size = kOscillationSize * MedianInPlace(sizes);
  for (size_t i = 0; i < count; ++i) {
    out[i] = out[i] || std::abs(std::log(shifts[i].after / shifts[i].before)) <= size;
  }
  return out;
}

namespace {

// The drifts: with the steps (abrupt) taken out of the series, each run of smooth shifts in
// one direction is one drift, fitted as flat-ramp-flat (trend.h) between the smooth shifts
// either side; it counts when its move is significant and above the minimum effect.
// `smooth` and `fits` are working memory (fits is left holding the fits of smooth).
std::vector<ChangePoint> Drifts(const std::vector<ChangePoint>& shifts,
                                std::span<const LocalFits::StepTest> tests,
                                const std::vector<bool>& abrupt,
                                const std::vector<bool>& oscillation,
                                std::span<const double> clipped, const Context& ctx,
                                std::vector<double>* smooth_io, LocalFits* fits) {
  const size_t n = clipped.size(), count = shifts.size();
  std::vector<size_t> moves;  // the shifts that are neither steps nor oscillation
  for (size_t i = 0; i < count; ++i) {
    if (!abrupt[i] && !oscillation[i]) moves.push_back(i);
  }
  if (moves.empty()) return {};
  std::vector<double>& smooth = *smooth_io;  // clipped with the steps taken out
  smooth.assign(clipped.begin(), clipped.end());
  double offset = 0;
  size_t next = 0;
  for (size_t i = 0; i < count; ++i) {
    if (!abrupt[i]) continue;
    const double jump = std::isfinite(tests[i].jump_se)
                            ? tests[i].jump
                            : std::log(shifts[i].after / shifts[i].before);
    for (; next < shifts[i].index; ++next) smooth[next] -= offset;
    offset += jump;
  }
  for (; next < n; ++next) smooth[next] -= offset;
  fits->Assign(smooth);
  const LocalFits& smooth_fits = *fits;
  auto direction = [&](size_t i) { return shifts[i].after > shifts[i].before; };
  std::vector<ChangePoint> out;
  for (size_t j = 0; j < moves.size();) {
    size_t k = j + 1;
    while (k < moves.size() && direction(moves[k]) == direction(moves[j])) ++k;
    size_t begin = 0, end = n;
    for (size_t i = moves[j]; i-- > 0;) {
      if (!abrupt[i]) {
        begin = shifts[i].index;
        break;
      }
    }
    for (size_t i = moves[k - 1] + 1; i < count; ++i) {
      if (!abrupt[i]) {
        end = shifts[i].index;
        break;
      }
    }
    const size_t run_begin = j;
    j = k;
    const LocalFits::Ramp ramp = smooth_fits.FitRamp(begin, end);
    const double move = ramp.after - ramp.before;
    const double z = std::abs(move) / (ramp.se * ctx.scale);
    if (!(z >= ctx.threshold) || std::abs(move) <= ctx.min_effect) continue;
    if (ramp.last + 1 < ramp.first + kMinRampPoints) {
      // Too short to be gradual: a step, at the run's largest shift on (or next to) the ramp.
      size_t pick = count;
      for (size_t r = run_begin; r < k; ++r) {
        const ChangePoint& c = shifts[moves[r]];
        if (c.index + 1 < ramp.first || c.index > ramp.last + 1) continue;
        if (pick == count || std::abs(std::log(c.after / c.before)) >
                                 std::abs(std::log(shifts[pick].after / shifts[pick].before))) {
          pick = moves[r];
        }
      }
      if (pick < count) {
        out.push_back(shifts[pick]);
        continue;
      }
    }
    ChangePoint d;
    d.shape = ChangeShape::kDrift;
    d.first = ramp.first;
    d.last = ramp.last;
    d.index = std::clamp(ramp.last + 1, ctx.m, n - ctx.m);
    d.before = std::exp(ramp.before);
    d.after = std::exp(ramp.after);
    d.change = std::expm1(move);
    d.rate = std::expm1(move / static_cast<double>(ramp.last - ramp.first + 1));
    d.confidence = 1 - CorrectedPValue(z, ctx.levels, ctx.m);
    out.push_back(d);
  }
  return out;
}

}  // namespace

// Splits the level shifts into steps (abrupt: a constant either side of the shift fits the
// stretch between its neighbours at least as well as the best continuous line with one bend
// and within kJumpZ^2 noise variances of the best flat-ramp-flat move, or a line either side
// with a jump beats both by kJumpZ^2 noise variances) and smooth ones. With the steps taken
// out, each run of smooth shifts in one direction is one drift, fitted as flat-ramp-flat
// (trend.h). A season was taken out before (season.h); an oscillation is nothing.
std::vector<ChangePoint> Classify(std::span<const double> values, std::span<const double> clipped,
                                  const std::vector<ChangePoint>& shifts, const Context& ctx) {
  const size_t n = values.size(), count = shifts.size();
  if (count == 0) return {};
  LocalFits fits(clipped);  // of clipped until the drifts reuse it
  const std::vector<bool> oscillation = Oscillations(shifts);
  const double margin = kJumpZ * kJumpZ * ctx.scale * ctx.scale;
  std::vector<bool> abrupt(count), strong(count);
  std::vector<LocalFits::StepTest> tests(count);
  for (size_t i = 0; i < count; ++i) {
    const size_t begin = i == 0 ? 0 : shifts[i - 1].index;
    const size_t end = i + 1 == count ? n : shifts[i + 1].index;
    const LocalFits::StepTest& st = tests[i] = fits.TestStep(begin, shifts[i].index, end);
    // Significant beside a line either side: a step even where the level drifts.
    strong[i] = std::abs(st.jump) >= kStrongZ * st.jump_se * ctx.scale;
    // The smooth alternatives: a continuous line with one bend, and a flat-ramp-flat move of
    // kMinRampPoints or more (a drift that starts and ends inside the stretch, which one bend
    // cannot follow). The ramp must beat the step by as much as a jump must beat a bend.
    // (The ramp is only fitted when the bend alone does not decide: it costs the most.)
    if (oscillation[i] || (st.rss_step > st.rss_kink && st.rss_kink - st.rss_lines < margin)) {
      abrupt[i] = false;
      continue;
    }
    const double rss_ramp = fits.FitRamp(begin, end, kMinRampPoints, kStepTestGrid).rss;
    const double smooth = std::min(st.rss_kink, rss_ramp);
    abrupt[i] =
        st.rss_step <= std::min(st.rss_kink, rss_ramp + margin) || smooth - st.rss_lines >= margin;
  }
  // A steep drift may be cut into a few steps close together, each of which looks abrupt on
  // its own stretch: a run of shifts in one direction, each within kRunGap points of the
  // next, is smooth when one ramp over the run's stretch beats the steps by the margin.
  for (size_t i = 0; i + 1 < count;) {
    size_t j = i + 1;
    const bool up = shifts[i].after > shifts[i].before;
    while (j < count && (shifts[j].after > shifts[j].before) == up &&
           shifts[j].index - shifts[j - 1].index <= kRunGap) {
      ++j;
    }
    if (j - i >= 2) {
      const size_t begin = i == 0 ? 0 : shifts[i - 1].index;
      const size_t end = j == count ? n : shifts[j].index;
      double rss_steps = fits.ConstantRss(begin, shifts[i].index);
      for (size_t r = i; r < j; ++r) {
        rss_steps += fits.ConstantRss(shifts[r].index, r + 1 < j ? shifts[r + 1].index : end);
      }
      const double rss_ramp = fits.FitRamp(begin, end, kMinRampPoints, kStepTestGrid).rss;
      if (rss_ramp + margin < rss_steps) {
        for (size_t r = i; r < j; ++r) abrupt[r] = false;
      }
    }
    i = j;
  }
  // A step in the drift's direction that is not strong, inside a drift, near its ends (within
  // a tenth of its length) or next to it (a neighbouring shift is a part of it), is a part of
  // the drift too: a drift cut by the search often leaves a piece of its start or end as a
  // step. The ramp is then fitted again with it.
  std::vector<ChangePoint> drifts;
  std::vector<double> smooth;
  std::optional<LocalFits> clipped_fits;  // fits holds smooth's once Drifts ran
  for (int pass = 0;; ++pass) {
    drifts = Drifts(shifts, tests, abrupt, oscillation, clipped, ctx, &smooth, &fits);
    if (pass == kMaxAbsorbPasses) break;
    bool absorbed = false;
    for (const ChangePoint& d : drifts) {
      if (d.shape != ChangeShape::kDrift) continue;
      const size_t near = std::max(ctx.m, (d.last - d.first + 1) / kDriftEnds);
      auto in_drift = [&](size_t j) {
        return !abrupt[j] && shifts[j].index >= d.first && shifts[j].index <= d.last + 1;
      };
      for (size_t i = 0; i < count; ++i) {
        const size_t at = shifts[i].index;
        const bool inside = at + near >= d.first && at <= d.last + near;
        const bool next_to = (i + 1 < count && in_drift(i + 1)) || (i > 0 && in_drift(i - 1));
        const bool along = (shifts[i].after > shifts[i].before) == (d.after > d.before);
        // A strong step inside the ramp was strong beside lines fitted over stretches the
        // ramp's curve bends (the steep middle of an S-shaped drift): tested again beside
        // lines over up to the drift's length / kDriftEnds either side, within the ramp, where
        // a smooth curve is nearly straight and a real jump still shows.
        bool strong_here = strong[i];
        const size_t from = std::max(d.first, at > near ? at - near : 0);
        const size_t to = std::min(d.last + 1, at + near);
        if (abrupt[i] && strong[i] && along && from + ctx.m <= at && at + ctx.m <= to) {
          if (!clipped_fits) clipped_fits.emplace(clipped);
          const LocalFits::StepTest local = clipped_fits->TestStep(from, at, to);
          strong_here = std::abs(local.jump) >= kStrongZ * local.jump_se * ctx.scale;
        }
        if (abrupt[i] && !strong_here && (inside || next_to) && along) {
          abrupt[i] = false;
          absorbed = true;
        }
      }
    }
    if (!absorbed) break;
  }
  std::vector<ChangePoint> out = std::move(drifts);
  for (size_t i = 0; i < count; ++i) {
    if (abrupt[i]) out.push_back(shifts[i]);
  }
  std::sort(out.begin(), out.end(),
            [](const ChangePoint& a, const ChangePoint& b) { return a.index < b.index; });
  return out;
}

}  // namespace perfledger::analysis
