import { estimateTextTokens, estimateTokens } from '../../lib/pricing';
import { NO_STARTER_COMMAND } from '../../lib/model-spec';
import type { Completion, CompletionRequest, ModelProvider } from './provider';

/**
 * The "agent" of a baseline measurement (`starter:<command>`): it runs the task's starter command
 * as it is, with long_run (the starter trains for as long as an agent's training may), then
 * submits. `starter:-` submits the starter file untouched. No network, no cost, nothing to read, so
 * it answers on any worker of a fleet.
 */
export class StarterProvider implements ModelProvider {
  async complete(request: CompletionRequest): Promise<Completion> {
    const command = request.model === NO_STARTER_COMMAND ? undefined : request.model;
    const text =
      command && request.callIndex === 0
        ? reply("Run the task's starter as it is, to measure its baseline.", `long_run ${command}`)
        : reply('Score the starter.', 'submit');
    return { text, usage: { inputTokens: estimateTokens(request.messages), outputTokens: estimateTextTokens(text) } };
  }
}

const reply = (thought: string, command: string) => `DISCUSSION\n${thought}\n\n\`\`\`\n${command}\n\`\`\``;
