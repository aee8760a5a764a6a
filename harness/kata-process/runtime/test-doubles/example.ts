/** A double for the harness's own tests of the mechanism: a function that records its calls. */
import type { TestDoubleFactory } from './index.ts'

export const exampleDoubles: Record<string, TestDoubleFactory> = {
  /** (...args) => options.returns, recording each call's arguments. */
  'recording-function': (options) => {
    const calls: unknown[][] = []
    const value = (...args: unknown[]) => {
      calls.push(args)
      return options.returns
    }
    return {
      value,
      control: (command) => {
        if (command === 'report') return { calls }
        throw new Error(`recording-function has no command ${command}`)
      },
    }
  },
}
