// Tofino register emulation: budgets, registers, programs, path-table layout, and the two update channels.
export {
  TOFINO1_BUDGET, BudgetError, arrayBlocks, blockBytes, cellsPerWord, dataBlocks, resolveBudget, widthFor,
  type CellWidth, type PipelineBudget,
} from './budget.js';
export { Register, cellMax, type RegisterSpec } from './register.js';
export { Pipeline, type SpreadSpec } from './pipeline.js';
export { Program, ProgramError, type Operand, type PassResult, type RegisterAction, type RmwOp } from './program.js';
export type { ModelClock } from './clock.js';
export { UpdateSet, applyDirect, type ApplyCounts } from './update-set.js';
export { PcieChannel, DEFAULT_PCIE_TPS, type PcieReport } from './pcie.js';
export { packUpdates, interleaveByRegister, UpdatePacker, DEFAULT_MAX_PACKET_BYTES, type PackOptions } from './negotiation-packer.js';
export { negotiationProblem, readHeader, readRecords, frameBytes, updatesPerFrame, type NegotiationHeader, type UpdateRecord } from './negotiation-format.js';
export {
  InNetworkChannel, DEFAULT_IN_NETWORK, DEFAULT_CPU_PORT, type InNetworkCounters, type InNetworkOptions, type InNetworkReport, type Outcome,
} from './in-network.js';
export {
  layoutFlat, layoutPbm, layoutHi, pathTableFootprints, placeTableArrays, checkDimensions,
  type ArrayFootprint, type PlainTableArray, type FlatOptions, type PathTableDimensions, type PathTableFootprints, type TableFootprint,
} from './path-layout.js';
