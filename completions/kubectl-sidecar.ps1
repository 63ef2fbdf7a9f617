
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'kubectl-sidecar' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'kubectl-sidecar'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'kubectl-sidecar' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor: one summary row per cluster, then each cluster''s report)')
            [CompletionResult]::new('--max-clusters', '--max-clusters', [CompletionResultType]::ParameterName, 'With several contexts: how many clusters are examined at once (the others wait their turn; each cluster''s --timeout starts when its turn does)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace scope for this request')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace scope for this request')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate for the operation')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate for the operation; repeat for several groups')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, as kubectl takes it: "30s", "1m", "500ms"; "0" leaves only --timeout')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the whole command may take: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the table output; `auto` colors only a terminal and honours NO_COLOR')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check-nodes', 'check-nodes', [CompletionResultType]::ParameterValue, 'Check the apiserver and every kubelet: version, SidecarContainers gate, skew, verdict per node and pool')
            [CompletionResult]::new('diff-pod', 'diff-pod', [CompletionResultType]::ParameterValue, 'Compare a submitted pod spec with what admission made of it, and name who stripped restartPolicy')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Run every check and print one report with a verdict and the next steps')
            [CompletionResult]::new('snapshot', 'snapshot', [CompletionResultType]::ParameterValue, 'Save what check-nodes, doctor and diff-pod analyse to one file, for --snapshot elsewhere')
            [CompletionResult]::new('rbac', 'rbac', [CompletionResultType]::ParameterValue, 'Print the least-privilege RBAC (ClusterRole and binding) for the people who run this tool')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, elvish, powershell)')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the version, the git commit and the Kubernetes versions this build knows')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the manual page (roff), generated from these flags')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-sidecar;check-nodes' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Only nodes matching this label selector (e.g. `pool=blue,!spot`)')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Only nodes matching this label selector (e.g. `pool=blue,!spot`)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many kubelets to query at once')
            [CompletionResult]::new('--node-timeout', '--node-timeout', [CompletionResultType]::ParameterName, 'Give up on one kubelet''s metrics after this long (e.g. 5s)')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'Stop waiting for kubelets after this long overall; unanswered nodes become `unknown`')
            [CompletionResult]::new('--snapshot', '--snapshot', [CompletionResultType]::ParameterName, 'Analyse a saved snapshot instead of a live cluster')
            [CompletionResult]::new('--save-snapshot', '--save-snapshot', [CompletionResultType]::ParameterName, 'Save the collected facts to FILE (JSON) for offline analysis with --snapshot')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit 1 when a finding at or above this severity exists (`never`: findings never do; an incomplete run still exits 4)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace scope for this request')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace scope for this request')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor: one summary row per cluster, then each cluster''s report)')
            [CompletionResult]::new('--max-clusters', '--max-clusters', [CompletionResultType]::ParameterName, 'With several contexts: how many clusters are examined at once (the others wait their turn; each cluster''s --timeout starts when its turn does)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate for the operation')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate for the operation; repeat for several groups')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, as kubectl takes it: "30s", "1m", "500ms"; "0" leaves only --timeout')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the whole command may take: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the table output; `auto` colors only a terminal and honours NO_COLOR')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-sidecar;diff-pod' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file, directory, or `-` for stdin, whose pod templates are dry-run created')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Manifest file, directory, or `-` for stdin, whose pod templates are dry-run created')
            [CompletionResult]::new('--snapshot', '--snapshot', [CompletionResultType]::ParameterName, 'Analyse the dry runs saved in a snapshot (`snapshot -f`, `diff-pod --save-snapshot`) instead of a cluster; with POD, only that object')
            [CompletionResult]::new('--save-snapshot', '--save-snapshot', [CompletionResultType]::ParameterName, 'Save the collected facts (redacted) to FILE (JSON) for offline analysis with --snapshot')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit 1 when a finding at or above this severity exists (`never`: findings never do; an incomplete run still exits 4)')
            [CompletionResult]::new('--max-clusters', '--max-clusters', [CompletionResultType]::ParameterName, 'With several contexts: how many clusters are examined at once (the others wait their turn; each cluster''s --timeout starts when its turn does)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor: one summary row per cluster, then each cluster''s report)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace scope for this request')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace scope for this request')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate for the operation')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate for the operation; repeat for several groups')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, as kubectl takes it: "30s", "1m", "500ms"; "0" leaves only --timeout')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the whole command may take: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the table output; `auto` colors only a terminal and honours NO_COLOR')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Read the directories given with -f and all their subdirectories')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Read the directories given with -f and all their subdirectories')
            [CompletionResult]::new('--show-defaults', '--show-defaults', [CompletionResultType]::ParameterName, 'Also show the fields the apiserver filled in by defaulting')
            [CompletionResult]::new('--blame', '--blame', [CompletionResultType]::ParameterName, 'Call each matching webhook yourself (dry run) to name the one that strips restartPolicy')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-sidecar;doctor' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Only workloads matching this label selector')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Only workloads matching this label selector')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit 1 when a finding at or above this severity exists (`never`: findings never do; an incomplete run still exits 4)')
            [CompletionResult]::new('--snapshot', '--snapshot', [CompletionResultType]::ParameterName, 'Analyse a saved snapshot instead of a live cluster')
            [CompletionResult]::new('--save-snapshot', '--save-snapshot', [CompletionResultType]::ParameterName, 'Save the collected facts to FILE (JSON) for offline analysis with --snapshot')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'With --offline: a manifest file, a directory of them, or `-` for stdin; repeatable')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'With --offline: a manifest file, a directory of them, or `-` for stdin; repeatable')
            [CompletionResult]::new('--target-version', '--target-version', [CompletionResultType]::ParameterName, 'With --offline: apply this Kubernetes minor''s rules (e.g. 1.34; default: the newest this build knows, see `kubectl sidecar version`)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor: one summary row per cluster, then each cluster''s report)')
            [CompletionResult]::new('--max-clusters', '--max-clusters', [CompletionResultType]::ParameterName, 'With several contexts: how many clusters are examined at once (the others wait their turn; each cluster''s --timeout starts when its turn does)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace scope for this request')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace scope for this request')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate for the operation')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate for the operation; repeat for several groups')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, as kubectl takes it: "30s", "1m", "500ms"; "0" leaves only --timeout')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the whole command may take: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the table output; `auto` colors only a terminal and honours NO_COLOR')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Look at workloads in every namespace')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Look at workloads in every namespace')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Check manifests (-f) instead of a cluster: every check a pod template decides, no kubeconfig, no connection')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'With --offline: read the directories given with -f and all their subdirectories')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'With --offline: read the directories given with -f and all their subdirectories')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-sidecar;snapshot' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Only workloads matching this label selector')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Only workloads matching this label selector')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Also dry-run the pod templates of these manifests (file, directory, or `-` for stdin; repeatable), as diff-pod -f does, and save what admission made of them')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Also dry-run the pod templates of these manifests (file, directory, or `-` for stdin; repeatable), as diff-pod -f does, and save what admission made of them')
            [CompletionResult]::new('--max-clusters', '--max-clusters', [CompletionResultType]::ParameterName, 'With several contexts: how many clusters are examined at once (the others wait their turn; each cluster''s --timeout starts when its turn does)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the table output; `auto` colors only a terminal and honours NO_COLOR')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'The file to write the snapshot to (JSON); `-` for stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'The file to write the snapshot to (JSON); `-` for stdout')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor: one summary row per cluster, then each cluster''s report)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace scope for this request')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace scope for this request')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate for the operation')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate for the operation; repeat for several groups')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, as kubectl takes it: "30s", "1m", "500ms"; "0" leaves only --timeout')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the whole command may take: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Collect workloads in every namespace')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Collect workloads in every namespace')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Read the directories given with -f and all their subdirectories')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Read the directories given with -f and all their subdirectories')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-sidecar;rbac' {
            [CompletionResult]::new('--subject', '--subject', [CompletionResultType]::ParameterName, 'Who to bind it to: `User:NAME`, `Group:NAME` or `ServiceAccount:NAMESPACE:NAME`; repeat for several')
            [CompletionResult]::new('--omit', '--omit', [CompletionResultType]::ParameterName, 'Leave out a rule you will not grant (its id is in the comment above it); the run then reports what it could not read. Repeat for several')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name of the ClusterRole, Roles and bindings')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor: one summary row per cluster, then each cluster''s report)')
            [CompletionResult]::new('--max-clusters', '--max-clusters', [CompletionResultType]::ParameterName, 'With several contexts: how many clusters are examined at once (the others wait their turn; each cluster''s --timeout starts when its turn does)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate for the operation')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate for the operation; repeat for several groups')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, as kubectl takes it: "30s", "1m", "500ms"; "0" leaves only --timeout')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the whole command may take: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the table output; `auto` colors only a terminal and honours NO_COLOR')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace scope for this request')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace scope for this request')
            [CompletionResult]::new('--namespace-scoped', '--namespace-scoped', [CompletionResultType]::ParameterName, 'Grant the namespaced reads only in the namespace of -n (plus kube-system for the control plane), instead of in every namespace. Enough for `doctor -n` and `check-nodes`')
            [CompletionResult]::new('--istio', '--istio', [CompletionResultType]::ParameterName, 'With --namespace-scoped: also let doctor find istiod in istio-system (a Role there, so that namespace must exist)')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-sidecar;completion' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor: one summary row per cluster, then each cluster''s report)')
            [CompletionResult]::new('--max-clusters', '--max-clusters', [CompletionResultType]::ParameterName, 'With several contexts: how many clusters are examined at once (the others wait their turn; each cluster''s --timeout starts when its turn does)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace scope for this request')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace scope for this request')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate for the operation')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate for the operation; repeat for several groups')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, as kubectl takes it: "30s", "1m", "500ms"; "0" leaves only --timeout')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the whole command may take: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the table output; `auto` colors only a terminal and honours NO_COLOR')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-sidecar;version' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor: one summary row per cluster, then each cluster''s report)')
            [CompletionResult]::new('--max-clusters', '--max-clusters', [CompletionResultType]::ParameterName, 'With several contexts: how many clusters are examined at once (the others wait their turn; each cluster''s --timeout starts when its turn does)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace scope for this request')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace scope for this request')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate for the operation')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate for the operation; repeat for several groups')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, as kubectl takes it: "30s", "1m", "500ms"; "0" leaves only --timeout')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the whole command may take: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the table output; `auto` colors only a terminal and honours NO_COLOR')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-sidecar;man' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use; repeat it to examine several clusters at once (check-nodes, doctor: one summary row per cluster, then each cluster''s report)')
            [CompletionResult]::new('--max-clusters', '--max-clusters', [CompletionResultType]::ParameterName, 'With several contexts: how many clusters are examined at once (the others wait their turn; each cluster''s --timeout starts when its turn does)')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace scope for this request')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace scope for this request')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Username to impersonate for the operation')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'Group to impersonate for the operation; repeat for several groups')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, as kubectl takes it: "30s", "1m", "500ms"; "0" leaves only --timeout')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the whole command may take: every apiserver call, kubelet read and dry run. When it runs out, the command reports what it has, marks the rest as timed out and exits 4')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: table, wide, json, yaml, or for CI sarif (SARIF 2.1.0, code scanning) or junit (JUnit XML); sarif and junit only on the commands that report findings')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color the table output; `auto` colors only a terminal and honours NO_COLOR')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Examine the cluster of every context in the kubeconfig (check-nodes, doctor), as repeating --context for each')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-sidecar;help' {
            [CompletionResult]::new('check-nodes', 'check-nodes', [CompletionResultType]::ParameterValue, 'Check the apiserver and every kubelet: version, SidecarContainers gate, skew, verdict per node and pool')
            [CompletionResult]::new('diff-pod', 'diff-pod', [CompletionResultType]::ParameterValue, 'Compare a submitted pod spec with what admission made of it, and name who stripped restartPolicy')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Run every check and print one report with a verdict and the next steps')
            [CompletionResult]::new('snapshot', 'snapshot', [CompletionResultType]::ParameterValue, 'Save what check-nodes, doctor and diff-pod analyse to one file, for --snapshot elsewhere')
            [CompletionResult]::new('rbac', 'rbac', [CompletionResultType]::ParameterValue, 'Print the least-privilege RBAC (ClusterRole and binding) for the people who run this tool')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, elvish, powershell)')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the version, the git commit and the Kubernetes versions this build knows')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the manual page (roff), generated from these flags')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-sidecar;help;check-nodes' {
            break
        }
        'kubectl-sidecar;help;diff-pod' {
            break
        }
        'kubectl-sidecar;help;doctor' {
            break
        }
        'kubectl-sidecar;help;snapshot' {
            break
        }
        'kubectl-sidecar;help;rbac' {
            break
        }
        'kubectl-sidecar;help;completion' {
            break
        }
        'kubectl-sidecar;help;version' {
            break
        }
        'kubectl-sidecar;help;man' {
            break
        }
        'kubectl-sidecar;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
