// Tests share one Ceph cluster and one MariaDB server on a 2-core machine: run collections one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
