using CephBackup.Core.Reporting;

namespace CephBackup.Tests.Reporting;

public class RetentionReportTests
{
    private static RetentionRow Row(int? chain, RetentionResult r, long freed = 0) =>
        new() { Job = "J1", Vm = chain is null ? null : "vm1", Image = chain is null ? null : "img1", Chain = chain, Result = r, BytesFreed = freed, Detail = "why <b>" };

    [Fact]
    public void Subject_is_the_php_one_with_fail_prefix_only_on_failure()
    {
        Assert.Equal("CEPH Backup retention", new RetentionReport([Row(1, RetentionResult.Deleted, 5_000_000), Row(2, RetentionResult.KeptImmutable)]).Subject);
        Assert.Equal("[FAIL] CEPH Backup retention", new RetentionReport([Row(1, RetentionResult.Failed)]).Subject);
        Assert.Equal("[FAIL] CEPH Backup retention", new RetentionReport([Row(null, RetentionResult.ConfigError)]).Subject);
    }

    [Fact]
    public void Only_deletions_and_failures_call_for_a_mail_and_ordinary_keeps_are_left_out()
    {
        Assert.False(new RetentionReport([Row(1, RetentionResult.Kept), Row(2, RetentionResult.KeptImmutable)]).AnythingHappened);
        var r = new RetentionReport([Row(1, RetentionResult.Deleted, 5_000_000), Row(2, RetentionResult.Kept), Row(3, RetentionResult.KeptImmutable)]);
        Assert.True(r.AnythingHappened);
        var text = RetentionReportFormatter.Text(r);
        Assert.Contains("J1 | vm1 | img1 | 000001 | deleted | 5.00 MB | why <b>", text);
        Assert.Contains("000003 | kept: immutable", text);
        Assert.DoesNotContain("000002", text);
        var html = RetentionReportFormatter.Html(r);
        Assert.Contains("why &lt;b&gt;", html);
        Assert.DoesNotContain("why <b>", html);
    }

    [Fact]
    public void Job_level_rows_print_without_chain()
    {
        Assert.Equal("J1 -: FAIL: configuration (why <b>)", Row(null, RetentionResult.ConfigError).ToString());
        Assert.Equal("J1 vm1/img1 000004: deleted, 1.50 MB freed (why <b>)", Row(4, RetentionResult.Deleted, 1_500_000).ToString());
    }
}
