// Layers: a plan cut into an image's layers along its closure (closure/groups.h).
//
// Every Debian package and every Nix store path is a group; the rest of the plan (the program,
// arguments, includes, generated /etc) is loose. Groups are ranked by how many other groups of
// the closure need them, directly or through others (most first; by name on a tie): libc6 and
// glibc, which everything needs, come first, a program's own package last. When there are more
// groups than --max-layers N allows, the N-2 highest-ranked groups get a layer each, the other
// groups share the next, and the loose files are last (with N = 1, or no loose files, the
// groups left over join the last layer). So the layers that many images share hold the same
// files whatever else an image holds and keep their digests, and two programs run by the same
// interpreter differ only in their loose files.
//
// A directory is in every layer holding something beneath it, always the same entry, so that
// each layer is whole on its own and its bytes depend only on its group; a directory with
// nothing beneath it is in the last layer. No other path is in two layers.
#pragma once

#include <string>
#include <vector>

#include "closure/groups.h"
#include "plan/plan.h"

namespace ocitools {

struct Layer {
    std::vector<std::string> groups;        // its groups, in rank order; empty: loose files only
    bool loose = false;                     // holds the loose files
    std::vector<const PlanEntry*> entries;  // in plan order, with the directories above them

    // What the layer holds, for the image's history: "package libc6:amd64",
    // "store path /nix/store/...-glibc-2.40", "packages a:amd64, b:amd64; loose files".
    std::string description() const;
};

// The groups of `groups` that hold a path of `plan`, most needed first (the rank above).
std::vector<std::string> rank_groups(const Plan& plan, const ClosureGroups& groups);

// The layers of `plan` (entries borrowed from it), at most `max_layers` (at least 1), in the
// order they are applied: the highest-ranked group first, the loose files last. A plan with no
// entry at all gives one empty layer.
std::vector<Layer> plan_layers(const Plan& plan, const ClosureGroups& groups, unsigned max_layers);

}  // namespace ocitools
