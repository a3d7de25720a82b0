"""Read replicas: public reads that tolerate a short lag go to a healthy streaming replica.

PostgreSQL's own streaming replication (scripts/pg.sh replicas N, or any hot standby named in
DATABASE_REPLICA_URLS) carries the copies; this app only decides, per request, where a read goes:

- routing.py   which alias a request reads from (a context variable the router and the raw-SQL
               read paths consult) and the read-your-writes rule;
- health.py    which replicas are up and close enough behind the primary (checked at most once a
               second per process, a failed query marks a replica down at once);
- router.py    the Django database router; middleware.py applies the rule to the public views.
"""
