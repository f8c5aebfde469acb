// SPDX-License-Identifier: MIT
// Managed side. One test at a time: the descriptor tests watch descriptor numbers being reused, which
// another test opening files at the same moment would take first.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
