# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Paired (with INCLUDE_OUTPUT) with output_argument_spec() in plugins/module_utils/_common.py.
    DOCUMENTATION = r"""
options:
  include_vendor_payload:
    description:
      - Return the vendor's payload of each record in its C(raw) field. For V(aws_ssm) that is the invocation with its
        C(CommandPlugins), for V(alibaba_ecs) and V(zenlayer_zos) the instance's item with its invocation.
      - By default records are compact, without C(raw), so a result over a large fleet stays small. Every vendor fact
        a playbook usually needs (status, vendor status and details, exit code, output, times, steps) is a field of its own.
      - The conditions of a wait (C(success_when), C(failure_when)) see C(raw) whatever this option says, so a
        condition on a vendor field, for example V(raw.ExitCode == `0`), works without it.
      - Not the lookup's C(raw), which returns the vendor's response instead of records.
    type: bool
    default: false
  return_records:
    description:
      - Which records the result returns in C(invocations). The C(summary) always comes back.
      - V(all) returns every record. V(unsuccessful) returns the records not accepted (failed, timed out, cancelled,
        undeliverable, judged a failure by C(failure_when) or C(success_when), or still open). V(none) returns none.
      - V(auto) returns V(unsuccessful) when the task fails, because Ansible's default callback prints a failed task's
        whole result, so a failed wait over a large fleet prints its summary and its failures, not megabytes of records.
        When the task succeeds (a wait with C(fail_on_failure=false) included), V(auto) returns every record while they
        take at most 600,000 characters, else V(unsuccessful), with a warning. ansible-runner, as AWX and ansible-navigator
        use it, replaces a result over 700,000 characters with C({}), silently. The result's C(records_returned) says
        which it took.
      - Nothing is lost. When any record is left out, every record, whole (with C(raw)), is written as a JSON list to a
        new file whose path is in the result's C(records_file). The file is
        C(<output_dir>/records/<run id>-<UTC time>-<random>.json) with O(output_dir), else
        C(multicloud-invocations-records-<run id>-<UTC time>-<random>.json) in the temporary directory of the host the
        module runs on (the controller, in a play on C(localhost) or with C(delegate_to=localhost)), with mode C(0600).
        The task's secrets (C(no_log) options, passwords in URLs) are masked in it as in the result.
      - "Which to choose by fleet size, with one short line of output per instance and records without C(raw) (a record
        is then about 1,200 characters): up to about 500 instances every value fits; up to about 5,000, V(auto) or
        V(unsuccessful) fit as long as few targets fail; past that, V(none) (or V(unsuccessful) when few fail), and read
        C(records_file). The guide's table says more."
    type: str
    default: auto
    choices: [auto, all, unsuccessful, none]
  output_limit:
    description:
      - The most characters of each output stream (stdout, stderr, of each record and of each step) the result keeps,
        so that a result over a large fleet stays small.
      - A longer stream keeps its first half and its last half of this many characters, joined by a line
        C([... N characters left out by output_limit ...]); the count is in C(stdout_omitted) / C(stderr_omitted).
        The vendor's copies of the output in C(raw) (with O(include_vendor_payload)) are cut the same way.
      - The limit applies to what the task returns. The conditions of a wait (C(success_when), C(failure_when)) judge
        the whole output, and O(output_dir) gets the whole output.
      - V(0) keeps only the counts. When not set, nothing is left out.
    type: int
  output_dir:
    description:
      - An absolute path of a directory where each output stream is written to a file, as complete as the task
        read it (a stream the vendor cut is cut there too; see C(stdout_truncated)). The path of each file is
        in the record's C(stdout_file) / C(stderr_file), and in each step's.
      - The files are named C(<output_dir>/<provider>/<command or invocation id>/<instance id>/<step>.stdout)
        (C(<step>) is the step's position and name, for example V(0.aws_runShellScript)), or
        C(<output_dir>/<provider>/<invocation id>/<instance id>/stdout) for providers without steps. Characters
        other than letters, digits, C(.), C(-) and C(_) in an id become C(_) (with a digest of the id appended),
        so a name from the vendor never leads out of O(output_dir).
      - "The files are written where the module runs: on the controller in a play on C(localhost) or with
        C(delegate_to: localhost), as this collection's examples run. The directory is created if missing (mode C(0700));
        files are written with mode C(0600) and replaced when the task runs again."
      - The task's secrets (C(no_log) options, passwords in URLs) are masked in the files as in the result.
      - A file that cannot be written is a warning in the record's C(output_warnings); the result keeps the output.
      - With O(include_output=false) there is no output, so no file.
    type: path
  fetch_complete_output:
    description:
      - For every record of a target that ended and whose output the vendor cut (C(stdout_truncated) or C(stderr_truncated)),
        and only for those, read the complete copy the vendor delivered to object storage and put it in place of the cut one
        (before O(output_limit) and O(output_dir) apply). The flag is then false.
      - V(aws_ssm) reads S3 (C(s3:GetObject)) at the record's C(stdout_url) / C(stderr_url), with the same credentials and
        TLS settings as SSM, at O(s3_endpoint_url) if given. SSM delivers there only for commands sent with an S3 bucket
        (O(multicloud.invocations.invocation_run#module:output_s3_bucket_name)); SSM cuts stdout at 24,000 characters and
        stderr at 8,000 in C(GetCommandInvocation), and the output of each step at 2,500 in the list that waits read.
      - A stream that cannot be fetched (C(AccessDenied), C(NoSuchKey) when the object is not there (yet), a command that
        sent no copy, C(NotDelivered)) keeps what the vendor returned, and the record gets an entry in
        C(output_warnings) with the code, the request id and a message; the task warns once. The verdict never depends
        on it.
      - V(alibaba_ecs) reads OSS (C(oss:GetObject), signed with OSS signature V4 with the same access key and TLS settings as
        Cloud Assistant) at the record's C(stdout_url), which is Cloud Assistant's C(OssOutputUri), at O(oss_endpoint_url)
        if given. Cloud Assistant delivers there only for runs started with an OSS URI
        (O(multicloud.invocations.invocation_run#module:output_oss_uri)); it keeps 24 KB of the output (stdout and stderr
        merged, in C(stdout)) and counts the rest in C(Dropped). A delivery that C(Failed) gives a warning with
        Cloud Assistant's C(OssOutputErrorCode); one still C(InProgress) gives C(DeliveryInProgress).
      - V(zenlayer_zos) refuses it (ZOS delivers no copy to object storage).
      - V(aws_ssm) reads CloudWatch Logs instead where a command sent its output there and not to S3
        (O(multicloud.invocations.invocation_run#module:cloudwatch_output_log_group); the record's C(output_log_group)),
        with C(logs:GetLogEvents) on the stream C(<command id>/<instance id>/<step>/stdout) (or C(/stderr)), every page,
        at O(logs_endpoint_url) if given. C(<step>) is the step's name with C(:) and C(*) written C(-), for example
        C(aws-runShellScript). The agent sends whole lines, several to an event, and leaves out the newline at the end of
        each event; a newline is put back after each event, so a stream whose last line had no newline gets one. A
        stream that is not there is C(ResourceNotFoundException) in C(output_warnings).
      - An object in S3 or OSS is read up to 1,000 MiB (1,048,576,000 bytes); a larger one keeps what the vendor
        returned, with C(ObjectTooLarge) in C(output_warnings).
      - A CloudWatch Logs stream is read for 1,000 pages at most. A page holds up to 1 MB or 10,000 events, so that is
        room for far more output than a task's result can carry. A stream whose forward token is still new after
        1,000 pages (a stream that is still being written to, or an endpoint that never reports the end) keeps
        what SSM returned, and the record gets C(PageLimitReached) in C(output_warnings), with the request id of the
        last page. The verdict does not depend on it, and the read always ends, even without a budget, as in
        M(multicloud.invocations.invocation_info).
    type: bool
    default: false
  s3_endpoint_url:
    description:
      - V(aws_ssm) only. The S3 endpoint O(fetch_complete_output) reads from, for a VPC endpoint or a test server.
        When not set, S3's own endpoint for the region.
    type: str
  oss_endpoint_url:
    description:
      - V(alibaba_ecs) only. The OSS endpoint O(fetch_complete_output) reads from, for an internal or private endpoint or a
        test server; objects are addressed path-style under it (C(<oss_endpoint_url>/<bucket>/<key>)).
      - When not set, the bucket's public endpoint in the task's region, C(https://<bucket>.oss-<region>.aliyuncs.com).
      - Like O(endpoint_url), plain C(http://) is refused except to a loopback address or with O(allow_plain_http).
    type: str
  logs_endpoint_url:
    description:
      - V(aws_ssm) only. The CloudWatch Logs endpoint O(fetch_complete_output) reads from, for a VPC endpoint or a test
        server. When not set, CloudWatch Logs' own endpoint for the region.
      - Plain HTTP only to a loopback host, or with O(allow_plain_http), as for O(endpoint_url).
    type: str
"""

    # Every reader of records, the lookup too (which keeps no files and fetches no complete copies).
    INCLUDE_OUTPUT = r"""
options:
  include_output:
    description:
      - Include stdout and stderr in the records.
    type: bool
    default: true
"""
