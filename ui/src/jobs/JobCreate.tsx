import { Create } from 'react-admin';
import { JobForm, NEW_JOB_DEFAULTS } from './JobForm';

/** New job form; after saving, the job's page opens so the first run can be watched. */
export default function JobCreate() {
  return (
    <Create redirect="show" title="New job">
      <JobForm defaultValues={NEW_JOB_DEFAULTS} />
    </Create>
  );
}
