// Waiting for a workflow's admission: the workflow reads the installation's policy and decides
// whether the start is allowed; a refusal becomes one line and exit code 2, like any refused input.
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { admissionUpdate, REFUSED_ERROR_TYPE, type Admission } from '../shared/messages';
import { InvalidInputError } from './errors';

export async function awaitAdmission(handle: WorkflowHandle): Promise<Admission> {
  try {
    return await handle.executeUpdate(admissionUpdate);
  } catch (err) {
    if (
      err instanceof WorkflowUpdateFailedError &&
      (err.cause as { type?: string } | undefined)?.type === REFUSED_ERROR_TYPE
    ) {
      throw new InvalidInputError(`refused: ${err.cause?.message ?? err.message}`);
    }
    throw err;
  }
}
