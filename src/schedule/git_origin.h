// The remote "origin" of a repository, for fetching (private to the schedule layer).
#pragma once

#include <git2.h>

#include <string>

#include "base/status.h"

namespace perfledger::schedule {

// The remote "origin" of `repo`, made from its configured URL alone, without a fetch refspec
// (pass one to git_remote_fetch) and without url.*.insteadOf rewriting. Why not
// git_remote_lookup: libgit2 1.5 (Debian 12) leaks PCRE2's match data for every config entry
// a regular expression does not match, in the lookup and in insteadOf rewriting: about 370 KB
// a call, which a server planning every few minutes and an agent fetching for every job would
// pay for as long as they run. Null when the repository has no origin; the caller frees it
// with git_remote_free.
base::Result<git_remote*> OpenOrigin(git_repository* repo, const std::string& repo_path);

}  // namespace perfledger::schedule
