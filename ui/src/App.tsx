import { lazy } from 'react';
import { Admin, CustomRoutes, Resource } from 'react-admin';
import { BrowserRouter, Route } from 'react-router-dom';
import ScheduleIcon from '@mui/icons-material/Schedule';
import { dataProvider } from './api/dataProvider';
import { authProvider } from './auth/authProvider';
import { TokenLogin } from './auth/TokenLogin';
import { AppLayout } from './layout/AppLayout';
import { darkTheme, lightTheme } from './layout/theme';
import { Dashboard } from './dashboard/Dashboard';
import { JobList } from './jobs/JobList';

// The job page and form carry the output viewer, previews and the JSON editor; they load on
// first use so the list and dashboard come up fast.
const JobShow = lazy(() => import('./jobs/JobShow'));
const JobCreate = lazy(() => import('./jobs/JobCreate'));
const JobEdit = lazy(() => import('./jobs/JobEdit'));
const BusyPage = lazy(() => import('./busy/BusyPage'));
const MembersPage = lazy(() => import('./members/MembersPage'));
const AuditPage = lazy(() => import('./audit/AuditPage'));

/** dkron serves the UI under /ui/, so every route lives below that prefix. */
const ROUTER_BASENAME = import.meta.env.BASE_URL.replace(/\/$/, '');

export function App() {
  return (
    <BrowserRouter basename={ROUTER_BASENAME}>
      <Admin
        title="dkron-rs"
        dataProvider={dataProvider}
        authProvider={authProvider}
        loginPage={TokenLogin}
        dashboard={Dashboard}
        layout={AppLayout}
        theme={lightTheme}
        darkTheme={darkTheme}
        requireAuth={false}
        disableTelemetry
      >
        <Resource
          name="jobs"
          icon={ScheduleIcon}
          list={JobList}
          show={JobShow}
          create={JobCreate}
          edit={JobEdit}
          recordRepresentation="name"
        />
        <CustomRoutes>
          <Route path="/busy" element={<BusyPage />} />
          <Route path="/members" element={<MembersPage />} />
          <Route path="/audit" element={<AuditPage />} />
        </CustomRoutes>
      </Admin>
    </BrowserRouter>
  );
}
