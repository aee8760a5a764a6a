import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { listKatas } from '../../../harness/katas.ts'
import { katasDir } from '../../../harness/paths.ts'
import { readPointsManifest } from '../../manifest.ts'
import { classroomWorkflow, DEFAULT_TIMEOUT_MINUTES, kataCommand, stepId } from './workflow.ts'

const katas = listKatas(katasDir)

async function currentWorkflow(): Promise<string> {
  return classroomWorkflow({ katas, points: await readPointsManifest(katasDir), timeoutMinutes: DEFAULT_TIMEOUT_MINUTES })
}

interface Step {
  id?: string
  name: string
  with?: Record<string, unknown>
}

function kataSteps(text: string): Step[] {
  const steps = (parse(text) as { jobs: Record<string, { steps: Step[] }> }).jobs['run-autograding-tests']!.steps
  return steps.filter((step) => step.id?.startsWith('kata-'))
}

describe('the GitHub Classroom workflow', () => {
  it('gives the same bytes for the same katas and points', async () => {
    expect(await currentWorkflow()).toBe(await currentWorkflow())
  })

  it('has one step per kata, in order, worth its points in grading.json', () => {
    const points = new Map([['03-backlog', 15]])
    const steps = kataSteps(classroomWorkflow({ katas, points, timeoutMinutes: 7 }))
    expect(steps.map((step) => step.id)).toEqual(katas.map(stepId))
    expect(steps.map((step) => step.with?.command)).toEqual(katas.map(kataCommand))
    expect(steps.map((step) => step.with?.['max-score'])).toEqual(katas.map((kata) => (kata.folder === '03-backlog' ? 15 : 10)))
    expect(new Set(steps.map((step) => step.with?.timeout))).toEqual(new Set([7]))
  })

  it('refuses points the command grader would cut (it reads max-score with parseInt) and a timeout out of its range', () => {
    expect(() => classroomWorkflow({ katas, points: new Map([['02-port-zero', 7.5]]), timeoutMinutes: 5 })).toThrow(/02-port-zero is worth 7.5 points/)
    expect(() => classroomWorkflow({ katas, points: new Map(), timeoutMinutes: 0 })).toThrow(/--timeout/)
    expect(() => classroomWorkflow({ katas, points: new Map(), timeoutMinutes: 361 })).toThrow(/--timeout/)
  })
})
