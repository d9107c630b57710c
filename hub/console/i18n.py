"""The console's words (界面文字) in Chinese first and English, and its clock (Asia/Shanghai).

``text(lang)`` returns a lookup for the templates (``t("overview")``); a missing key
shows the key itself, so a forgotten translation is visible, never an error.  The
language is chosen by ``?lang=en|zh`` (remembered in a cookie); Chinese by default.
Times are shown in Asia/Shanghai (UTC+8, no daylight saving), whatever the server's
zone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

LANGS = ("zh", "en")
LANG_COOKIE = "hub_console_lang"
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

WORDS: dict[str, tuple[str, str]] = {
    "title": ("汇通 · 监督管理台", "Huitong · Officer console"),
    "overview": ("总览", "Overview"),
    "catalog": ("数据目录", "Catalog"),
    "applications": ("申请审批", "Applications"),
    "grants": ("授权与对接方", "Grants & partners"),
    "audit": ("审计日志", "Audit"),
    "policy": ("策略", "Policy"),
    "logout": ("退出登录", "Log out"),
    "login": ("登录", "Log in"),
    "login_title": ("安全员登录", "Officer login"),
    "login_refused": ("登录被拒绝", "Login refused"),
    "signed_in_as": ("当前安全员", "Signed in as"),
    "deliveries": ("交付次数", "Deliveries"),
    "denials": ("拒绝次数", "Denials"),
    "rows": ("交付行数", "Rows delivered"),
    "last_24h": ("近 24 小时（每小时）", "Last 24 hours (per hour)"),
    "last_30d": ("近 30 天（每日）", "Last 30 days (per day)"),
    "top_partners": ("交付行数最多的对接方（30 天）", "Top partners by rows (30 days)"),
    "top_datasets": ("交付行数最多的数据集（30 天）", "Top datasets by rows (30 days)"),
    "pending_applications": ("待审批申请", "Pending applications"),
    "expiring_grants": ("7 天内到期的授权", "Grants expiring within 7 days"),
    "chain_status": ("审计链状态", "Audit chain status"),
    "last_checkpoint": ("最近签名检查点", "Last signed checkpoint"),
    "checkpoint_ok": ("签名有效", "signature valid"),
    "checkpoint_bad": ("签名无效", "signature INVALID"),
    "age": ("距今", "age"),
    "none": ("无", "none"),
    "alerts_live": ("未关闭的预警（态势感知）", "Live alerts (situational awareness)"),
    "alert": ("预警", "Alert"),
    "severity": ("级别", "Severity"),
    "kind": ("类别", "Kind"),
    "count": ("次数", "Count"),
    "alert_last": ("最近发生（审计时间）", "Last seen (audit time)"),
    "alerts_help": ("确认与关闭须安全员签名：hub alerts ack|resolve 或 POST /v1/alerts/{id}/…",
                    "Acknowledge or resolve with a signed statement: hub alerts ack|resolve or "
                    "POST /v1/alerts/{id}/…"),
    "search": ("搜索", "Search"),
    "filter": ("筛选", "Filter"),
    "provider": ("提供部门", "Provider"),
    "level": ("分级", "Level"),
    "sharing_type": ("共享类型", "Sharing type"),
    "dataset": ("数据集", "Dataset"),
    "name": ("名称", "Name"),
    "layer": ("层级", "Layer"),
    "version": ("版本", "Version"),
    "versions": ("版本", "Versions"),
    "columns": ("信息项", "Columns"),
    "column": ("信息项", "Column"),
    "type": ("类型", "Type"),
    "pii_class": ("个人信息类别", "PII class"),
    "reviewed": ("复核值", "Reviewed"),
    "lineage": ("血缘", "Lineage"),
    "column_lineage": ("显示字段级血缘", "Show column-level lineage"),
    "resource_code": ("资源代码", "Resource code"),
    "summary": ("摘要", "Summary"),
    "owner": ("数据负责人", "Owner"),
    "update_cycle": ("更新周期", "Update cycle"),
    "open_attribute": ("开放属性", "Open attribute"),
    "sharing_conditions": ("共享条件", "Sharing conditions"),
    "region_column": ("属地字段", "Jurisdiction column"),
    "published_at": ("发布时间", "Published"),
    "status": ("状态", "Status"),
    "partner": ("对接方", "Partner"),
    "purpose": ("用途", "Purpose"),
    "clear_columns": ("明文信息项", "Clear columns"),
    "validity": ("有效期", "Validity"),
    "all_regions": ("全部地区（不按属地过滤）", "All regions (no jurisdiction filter)"),
    "rows_per_day": ("每日行数上限", "Rows per day"),
    "requested_by": ("申请人", "Requested by"),
    "created_at": ("提交时间", "Filed"),
    "justification": ("申请理由", "Justification"),
    "terms": ("审批条款", "Terms"),
    "terms_digest": ("条款摘要 (SHA-256)", "Terms digest (SHA-256)"),
    "decisions": ("审批记录", "Decisions"),
    "exposure_preview": ("暴露预览（如现在批准）", "Exposure preview (if approved now)"),
    "preview_note": ("以下为对接方在批准后将收到的内容，由交换服务的查询计划生成；本次预览已记入审计日志。",
                     "What the partner would receive once approved, computed by the exchange's own "
                     "planner; this preview is recorded in the audit log."),
    "decision": ("决定", "Decision"),
    "allow": ("允许", "allow"),
    "deny": ("拒绝", "deny"),
    "reasons": ("理由", "Reasons"),
    "mask": ("脱敏方式", "Mask"),
    "row_filter": ("行过滤（属地）", "Row filter (jurisdiction)"),
    "row_limit": ("行数上限", "Row limit"),
    "sample_rows": ("样例数据（对接方视图）", "Sample rows (the partner's view)"),
    "rows_in_jurisdiction": ("属地范围内行数", "Rows in its jurisdiction"),
    "of_total": ("总行数", "of all rows"),
    "body_sha256": ("响应体 SHA-256", "Response body SHA-256"),
    "approve": ("批准", "Approve"),
    "reject": ("驳回", "Reject"),
    "comment": ("意见", "Comment"),
    "cannot_decide": ("您不能审批此申请", "You cannot decide this application"),
    "sign_title": ("用您的密钥签名", "Sign with your key"),
    "sign_help": ("签名在浏览器内完成：密钥文件用口令在本机解密，私钥不离开本机、不上传。",
                  "Signing happens in this browser: the key file is decrypted here with its passphrase; "
                  "the private key never leaves this machine and is never uploaded."),
    "key_file": ("密钥文件（PKCS#8）", "Key file (PKCS#8)"),
    "passphrase": ("口令", "Passphrase"),
    "sign": ("签名", "Sign"),
    "statement": ("签名声明 (JWS)", "Signed statement (JWS)"),
    "statement_help": ("或粘贴用命令行或 USB 密钥签出的声明：",
                       "Or paste a statement signed elsewhere, e.g. with a token:"),
    "submit": ("提交", "Submit"),
    "revoke": ("撤销授权", "Revoke"),
    "reason": ("原因", "Reason"),
    "usage_today": ("今日用量", "Used today"),
    "partners": ("对接方", "Partners"),
    "clearance": ("授权等级", "Clearance"),
    "jurisdiction": ("管辖区划", "Jurisdiction"),
    "purposes": ("用途", "Purposes"),
    "keys": ("公钥", "Keys"),
    "last_seen": ("最近访问", "Last seen"),
    "lockdown": ("暂停（封禁）", "Lock down"),
    "lift": ("解除暂停", "Lift lockdown"),
    "locked": ("已暂停", "locked down"),
    "active": ("正常", "active"),
    "waiting_second": ("已有一名安全员签名，等待第二名：", "Signed once, waiting for a second officer:"),
    "event": ("事件", "Event"),
    "subject": ("主体", "Subject"),
    "since": ("起", "From"),
    "until": ("止", "Until"),
    "time": ("时间", "Time"),
    "record": ("审计记录", "Audit record"),
    "hash": ("哈希", "Hash"),
    "prev_hash": ("前一条哈希", "Previous hash"),
    "covering_checkpoint": ("覆盖此记录的签名检查点", "Checkpoint covering it"),
    "not_yet_covered": ("尚无检查点覆盖（链尾）", "not covered yet (chain tail)"),
    "verify_chain": ("校验整条审计链", "Verify the whole chain"),
    "verify_receipt": ("校验交付回执", "Verify a delivery receipt"),
    "receipt_file": ("回执文件或 X-Hub-Receipt 内容", "Receipt file or X-Hub-Receipt value"),
    "export_bundle": ("导出证据包", "Export evidence bundle"),
    "bundle_help": ("按当前时间范围导出：记录、检查点、公钥与校验方法（docs/audit.md），一个 ZIP 文件。",
                    "For the current time range: the records, checkpoints, public keys and the "
                    "verification procedure (docs/audit.md), as one ZIP file."),
    "officer_rules": ("安全员策略规则", "Officer rules"),
    "rules_in_force": ("生效规则版本", "Rules in force"),
    "no_rules": ("无（仅内置策略）", "none (built-in policy only)"),
    "revisions": ("版本历史", "Revisions"),
    "revision": ("版本", "Revision"),
    "author": ("起草人", "Author"),
    "base": ("基于", "Based on"),
    "drafted": ("起草时间", "Drafted"),
    "activated": ("生效时间", "Activated"),
    "approvals": ("已签名批准", "Approvals so far"),
    "draft": ("草案", "draft"),
    "retired": ("已停用", "retired"),
    "new_draft": ("起草变更", "Draft a change set"),
    "draft_help": ("规则即数据（YAML 或 JSON，格式见 docs/policy-rules.md），已预填生效规则。"
                   "规则只能收紧内置策略。先校验，再用您的密钥签名起草；"
                   "生效须另两名安全员（非起草人）签名批准。",
                   "Rules as data (YAML or JSON, docs/policy-rules.md), pre-filled with the rules in force. Rules only "
                   "tighten the built-in policy. Validate, then sign the draft with your key; two other security "
                   "officers (not the author) activate it."),
    "validate": ("校验", "Validate"),
    "draft_rules": ("起草", "Draft"),
    "invalid_rules": ("规则集无法读取", "The rule set cannot be read"),
    "rule_problems": ("规则错误（不能起草）", "Problems of the rules (cannot be drafted)"),
    "loosened": ("放宽了生效规则（不能生效，只能回滚）",
                 "Loosens the rules in force (cannot be activated; only a rollback may)"),
    "draft_cases": ("草案自带用例", "The draft's own policy cases"),
    "checks_ok": ("校验通过：结构、目录名称、只收紧、用例", "Valid: schema, catalog names, tighten-only, cases"),
    "checks_blocking": ("存在问题：草案可以保存，但不能生效", "Problems: the draft can be saved, but not activated"),
    "document": ("规则文档", "Document"),
    "diff_active": ("与生效规则的差异", "Difference from the rules in force"),
    "added": ("新增", "added"),
    "removed": ("删除", "removed"),
    "changed": ("修改", "changed"),
    "no_differences": ("无差异", "no differences"),
    "impact": ("影响分析（审计回放）", "Impact (audit replay)"),
    "impact_help": ("用审计日志中最近 N 天的决策回放此版本，列出将改变的决定。",
                    "Replays the decisions of the last N days "
                    "from the audit log against this revision and lists what would change."),
    "days": ("天数", "Days"),
    "run_impact": ("运行回放", "Run the replay"),
    "impact_of": ("影响分析", "Impact of"),
    "against": ("对比", "against"),
    "replayed": ("回放", "Replayed"),
    "allow_to_deny": ("允许→拒绝", "allow→deny"),
    "deny_to_allow": ("拒绝→允许", "deny→allow"),
    "masks_changed": ("脱敏变化", "Masks"),
    "caps": ("行数上限", "Caps"),
    "examples": ("示例", "Examples"),
    "impact_summary": ("条决策已回放", "decisions replayed"),
    "impact_refused": ("回放显示放宽，此变更被拒绝（规则只能收紧）", "The replay shows a loosening: this change set is "
                       "refused (rules only tighten)"),
    "impact_ok": ("没有放宽", "No loosening"),
    "no_changes": ("回放的决策均无变化", "No replayed decision changes"),
    "approve_activation": ("批准生效", "Approve activation"),
    "rollback": ("回滚到此版本", "Roll back to this revision"),
    "signed_by": ("已签名", "Signed by"),
    "waiting_signatures": ("等待第二名安全员签名", "waiting for a second security officer"),
    "only_security_signs": ("只有安全员可以签名：服务器将拒绝您的签名。",
                            "Only security officers sign this: the hub will "
                            "refuse your signature."),
    "author_cannot_approve": ("您起草了此版本：服务器将拒绝您的批准（须另两名安全员）。",
                              "You drafted this revision: the hub will "
                              "refuse your approval (two other security officers activate it)."),
    "already_signed": ("您已签名：须另一名安全员签名。", "You signed already: a different security officer must sign."),
    "in_force": ("生效中", "in force"),
    "policy_revision": ("生效策略版本", "Policy revision in force"),
    "data_revision": ("策略数据版本", "Policy data revision"),
    "policy_tests": ("策略用例（hub policy test）", "Policy cases (hub policy test)"),
    "simulate": ("模拟决策", "Simulate a decision"),
    "passed": ("通过", "passed"),
    "failed": ("失败", "failed"),
    "no_records": ("没有记录", "No records"),
    "details": ("详情", "Details"),
    "back": ("返回", "Back"),
    "error": ("出错了", "Something is wrong"),
    "all": ("全部", "all"),
    "pending": ("待审批", "pending"),
    "approved": ("已批准", "approved"),
    "rejected": ("已驳回", "rejected"),
    "expired": ("已过期", "expired"),
    "language": ("English", "中文"),
    "cli_alternative": ("也可在命令行完成：", "Or from the command line:"),
}


def lang_of(query: str | None, cookie: str | None) -> str:
    """The page language: ``?lang=`` first, then the cookie, else Chinese."""
    for value in (query, cookie):
        if value in LANGS:
            return str(value)
    return "zh"


def text(lang: str) -> Callable[[str], str]:
    """The lookup ``t(key)`` for ``lang``."""
    index = 1 if lang == "en" else 0

    def t(key: str) -> str:
        words = WORDS.get(key)
        return words[index] if words else key

    return t


def local(moment: datetime | str | None) -> str:
    """``moment`` in Asia/Shanghai as ``YYYY-MM-DD HH:MM:SS``; '' for None or an unreadable string."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return str(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def age(seconds: float, lang: str) -> str:
    """A duration for people: 42 秒 / 5 分钟 / 3 小时 / 2 天."""
    units = [(86400, "天", "d"), (3600, "小时", "h"), (60, "分钟", "min"), (1, "秒", "s")]
    for size, zh, en in units:
        if seconds >= size or size == 1:
            n = int(seconds // size)
            return f"{n} {en}" if lang == "en" else f"{n} {zh}"
    return ""
