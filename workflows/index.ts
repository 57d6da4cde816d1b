export { episodeWorkflow } from './episode';
export { sweepWorkflow } from './sweep';
