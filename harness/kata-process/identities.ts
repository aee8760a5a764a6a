/**
 * The users kata processes run as, when the grader hands out identities: KATA_PROCESS_USERS=first-last
 * (set by the grader, which runs the tests as root). Each kata process takes a uid of its own from
 * that range, so that the kernel tells its sockets from every other's by their uid, and no kata
 * process can signal, trace or read another. Unset (a learner's run), kata processes run as the test.
 */
import { threadId } from 'node:worker_threads'

/** uids each test worker cycles through; its kata processes run one after another, a retired one dead first. */
const PER_WORKER = 25

let taken = 0

export interface Identity {
  uid: number
  gid: number
}

/** The identity for the next kata process of this worker, or none. */
export function nextKataIdentity(range = process.env.KATA_PROCESS_USERS): Identity | undefined {
  if (!range) return undefined
  const match = /^(\d+)-(\d+)$/.exec(range)
  if (!match) throw new Error(`KATA_PROCESS_USERS=${range}: expected first-last, e.g. 61000-61049`)
  const [first, last] = [Number(match[1]), Number(match[2])]
  const count = last - first + 1
  const workers = Math.max(1, Math.floor(count / PER_WORKER))
  const perWorker = Math.min(PER_WORKER, count)
  const uid = first + ((threadId % workers) * perWorker + (taken++ % perWorker))
  return { uid, gid: uid }
}
