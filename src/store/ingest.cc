// Store::Ingest: the rules of putting a batch of runs into a store, the same for every back
// end. The back end gives one write transaction and its primitives (IngestTransaction); here
// is what they mean: a run_id stored again with the same content is a no-op, with other
// content a conflict; the first run to declare a suite revision's definitions or a platform's
// epoch fixes them, and every later run is checked against that (core/epoch.h).

#include <fmt/format.h>

#include "core/artifact.h"
#include "core/epoch.h"
#include "store/store.h"

namespace perfledger::store {
namespace {

using base::Result;
using base::Status;

// Checks `run`'s suite revision and epoch against their first declarations, or makes `run`
// the first to declare them.
Status CheckDeclarations(IngestTransaction& tx, const core::Run& run) {
  if (!run.suite) return Status::Ok();
  RETURN_IF_ERROR(core::CheckEnvironmentClass(run));
  const core::SuiteRef& suite = *run.suite;
  if (!suite.definitions.empty()) {
    ASSIGN_OR_RETURN(std::optional<Declaration> declared,
                     tx.DeclaredRevision(run.project, suite.name, suite.revision));
    if (declared) {
      RETURN_IF_ERROR(core::CheckAgainstDeclared(
          run, declared->suite,
          fmt::format("suite '{}' revision {} as first stored by run {}", suite.name,
                      suite.revision, declared->first_run_id)));
    } else {
      RETURN_IF_ERROR(tx.DeclareRevision(run));
    }
  }
  if (suite.epoch) {
    const int64_t number = suite.epoch->number;
    ASSIGN_OR_RETURN(std::optional<Declaration> declared,
                     tx.DeclaredEpoch(run.project, run.platform, suite.name, number));
    if (declared) {
      RETURN_IF_ERROR(core::CheckAgainstDeclared(
          run, declared->suite,
          fmt::format("epoch {} of suite '{}' on {} as first stored by run {}", number, suite.name,
                      run.platform, declared->first_run_id)));
    } else {
      RETURN_IF_ERROR(tx.DeclareEpoch(run));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<IngestStats> Store::Ingest(std::span<const core::Run> runs, size_t* conflicting,
                                  std::vector<bool>* written) {
  std::vector<RunEncoding> encodings;
  encodings.reserve(runs.size());
  for (const auto& run : runs) encodings.push_back(EncodeRun(run));
  return IngestEncoded(runs, encodings, conflicting, written);
}

Result<IngestStats> Store::IngestEncoded(std::span<const core::Run> runs,
                                         std::span<const RunEncoding> encodings,
                                         size_t* conflicting, std::vector<bool>* written) {
  if (encodings.size() != runs.size()) return base::Internal("an encoding per run expected");
  IngestStats stats;
  Status s = InIngestTransaction([&](IngestTransaction& tx) -> Status {
    stats = {};
    if (written != nullptr) written->assign(runs.size(), false);
    for (size_t i = 0; i < runs.size(); ++i) {
      const core::Run& run = runs[i];
      if (Status storable = core::CheckStorable(run); !storable.ok()) {
        if (conflicting != nullptr) *conflicting = i;
        return storable;
      }
      ASSIGN_OR_RETURN(std::optional<std::string> stored, tx.StoredContentHash(run.run_id));
      if (stored) {
        if (*stored == encodings[i].content_hash) {
          ++stats.already_present;
          continue;
        }
        if (conflicting != nullptr) *conflicting = i;
        return base::Conflict(fmt::format(
            "run {} is already stored with different content (runs are immutable: give a new "
            "run a new run_id)",
            run.run_id));
      }
      RETURN_IF_ERROR(tx.InsertRun(run, encodings[i]));
      // After the write, so the run's project exists; a refusal rolls the whole batch back.
      Status declared = CheckDeclarations(tx, run);
      if (!declared.ok()) {
        if (conflicting != nullptr && declared.code() == base::StatusCode::kConflict) {
          *conflicting = i;
        }
        return declared;
      }
      RETURN_IF_ERROR(AddToSeries(tx, run, &encodings[i]));
      if (written != nullptr) (*written)[i] = true;
      ++stats.ingested;
      stats.samples += run.sample_count();
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return stats;
}

}  // namespace perfledger::store
