import { Edit } from 'react-admin';
import { JobForm } from './JobForm';

/** Pessimistic so the server's validation errors come back to the form fields. */
export default function JobEdit() {
  return (
    <Edit mutationMode="pessimistic" redirect="show" title="Edit job">
      <JobForm isEdit />
    </Edit>
  );
}
