import { useQuery } from "@tanstack/react-query";

import { airflowGet, seg } from "../api/client";

interface TaskCollection {
  tasks: { task_id: string; downstream_task_ids: string[] | null }[];
}

interface XComEntry {
  key: string;
  map_index: number;
  task_id: string;
}

interface XComCollection {
  xcom_entries: XComEntry[];
  total_entries: number;
}

interface XComValue extends XComEntry {
  value: unknown;
}

/**
 * The direct upstream tasks of a task. Airflow 3.0's task response lists only downstream ids, so
 * they are read off the DAG's task list.
 */
export const useUpstreamTaskIds = (dagId: string, taskId: string) =>
  useQuery({
    queryFn: async () => {
      const data = await airflowGet<TaskCollection>(`/api/v2/dags/${seg(dagId)}/tasks`);
      return data.tasks
        .filter((task) => task.downstream_task_ids?.includes(taskId) ?? false)
        .map((task) => task.task_id)
        .sort();
    },
    queryKey: ["airflow", "upstream", dagId, taskId],
    staleTime: 5 * 60_000,
  });

/** The XCom entries of one upstream task instance, with values (first 20). */
export const useXComs = (dagId: string, runId: string, taskId: string, enabled: boolean) =>
  useQuery({
    enabled,
    queryFn: async () => {
      const base = `/api/v2/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances/${seg(taskId)}/xcomEntries`;
      const list = await airflowGet<XComCollection>(base, { limit: 20 });
      const values = await Promise.all(
        list.xcom_entries.map((entry) =>
          airflowGet<XComValue>(`${base}/${seg(entry.key)}`, { map_index: entry.map_index }),
        ),
      );
      return { entries: values, total: list.total_entries };
    },
    queryKey: ["airflow", "xcoms", dagId, runId, taskId],
    staleTime: 60_000,
  });
