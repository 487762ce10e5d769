//! Dkron's notification templates: `{{.JobName}}`-style fields of Go's text/template, filled
//! from one execution. Only field references are supported (no `if`, `range` or functions);
//! an unknown field stays as written, so a mistake is visible in the message.

/// The fields a template can use, already formatted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    /// `{{.Report}}`: the multi-line report.
    pub report: String,
    /// `{{.JobName}}`.
    pub job_name: String,
    /// `{{.ReportingNode}}`: the server sending the notification.
    pub reporting_node: String,
    /// `{{.StartTime}}`, in Go's default time format.
    pub start_time: String,
    /// `{{.FinishedAt}}`, in Go's default time format.
    pub finished_at: String,
    /// `{{.Success}}`: `true` or `false`.
    pub success: String,
    /// `{{.NodeName}}`: the node that ran the execution.
    pub node_name: String,
    /// `{{.Output}}`.
    pub output: String,
    /// `{{.ExecutionID}}` (ours): the execution's id, the same in a repeated notification.
    pub execution_id: String,
}

impl Fields {
    fn get(&self, name: &str) -> Option<&str> {
        let value = match name {
            "Report" => &self.report,
            "JobName" => &self.job_name,
            "ReportingNode" => &self.reporting_node,
            "StartTime" => &self.start_time,
            "FinishedAt" => &self.finished_at,
            "Success" => &self.success,
            "NodeName" => &self.node_name,
            "Output" => &self.output,
            "ExecutionID" => &self.execution_id,
            _ => return None,
        };
        Some(value)
    }
}

/// Fills every `{{.Field}}` (spaces inside the braces allowed) of `template`.
pub fn render(template: &str, fields: &Fields) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after_open = &rest[open + 2..];
        let Some(close) = after_open.find("}}") else {
            out.push_str(&rest[open..]);
            return out;
        };
        let action = after_open[..close].trim();
        match action.strip_prefix('.').and_then(|name| fields.get(name)) {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[open..open + 2 + close + 2]),
        }
        rest = &after_open[close + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_known_fields_and_keeps_the_rest() {
        let fields = Fields {
            job_name: "backup".into(),
            success: "false".into(),
            execution_id: "1766194200000000000-node1".into(),
            ..Fields::default()
        };
        assert_eq!(
            render("{{.ExecutionID}}", &fields),
            "1766194200000000000-node1"
        );
        assert_eq!(
            render(
                "payload={\"text\": \"{{.JobName}} ok={{ .Success }}\"}",
                &fields
            ),
            "payload={\"text\": \"backup ok=false\"}"
        );
        assert_eq!(
            render("{{.Nope}} and {{ if .X }}", &fields),
            "{{.Nope}} and {{ if .X }}"
        );
        assert_eq!(
            render("unclosed {{.JobName", &fields),
            "unclosed {{.JobName"
        );
        assert_eq!(render("", &fields), "");
    }
}
