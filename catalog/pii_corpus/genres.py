# ruff: noqa: E501  (CJK text counts double-width; data lines read better unbroken)
"""The five genres of free text and their sentence templates.

``{slot}`` is filled by :mod:`catalog.pii_corpus.slots`: personal slots (``{name}``,
``{id}``, ``{mobile}``, ``{landline}``, ``{card}``, ``{addr}`` …) are gold entities,
``{~slot}`` decoys and fillers are not.  ``{names}`` is a 、 list of two to four names.
Each genre has templates with personal information and templates without any (the
false-alarm set); the latter still carry decoys.
"""

from __future__ import annotations

CASE_NOTES = (
    "{date}，核查组到{unit}调查，当事人{name}（身份证号{id}，联系电话{mobile}）称对补贴发放情况不知情。",
    "经查，{name}，{sex}，{age}岁，身份证号码：{id}，户籍地址{addr}，现住{saddr}。",
    "被调查人{name}于{date}通过其妻子{name}名下银行卡{card}收取好处费{~amount}。",
    "{name}称其手机号码{mobile}已停用，现用号码{mobile}，办公电话{landline}。",
    "谈话对象：{name}，职务：{unit}出纳，联系电话：{landline}。",
    "询问人：{names}；记录人：{name}。被询问人{name}，住址：{addr}。",
    "{name}驾驶{plate}小型汽车于{date}前往{~place}，停车票据由{name}报销。",
    "外籍人员{foreign}（护照号码{passport}）在{unit}领取劳务费{~amount}，未申报个税。",
    "涉案账户：户名{name}，账号{card}，开户行{bank}；另查明{name}名下还有{bank}卡{card}。",
    "{name}的母亲{name}（身份证{id}）长期居住在{saddr}，并不符合特困供养条件。",
    "据{name}交代，款项经{name}之手转给了{uyghur}，对方电话{mobile}。",
    "{date}上午，调查人员在{vaddr}找到{tibetan}，其本人手机{mobile}，身份证号{id}。",
    "当事人{mongol}称，{~brand}的货款已于{date}结清，收款卡号{card}。",
    "经比对，{name}的身份证号{id}与{name}的银行卡开户信息（{card}）不一致。",
    "证人{name}（{landline}）证实，{name}曾多次要求其以{~anon}名义签字。",
    "{name}，{sex}，{age}岁，户籍地{vaddr}，身份证号{id}，现在{unit}工作。",
    "核查期间，{name}多次拨打{~hotline}反映问题，并留下联系电话{mobile}。",
    "出入境记录显示，{name}持护照{passport}于{date}出境，未向组织报告。",
    "{name}（护照号{passport}，身份证号{id}）系{~org}实际控制人，该公司统一社会信用代码{uscc}。",
)
CASE_NOTES_CLEAN = (
    "{date}，核查组调取了{unit}{year}年度补贴发放台账，共{k}册。",
    "经查，{unit}在{~road}中未按合同约定支付{~amount}，{~order}。",
    "{~anon}称其对{~brand}的采购事项不知情，相关情况有待进一步核实。",
    "{~agency}已于{date}将相关材料移交，案件编号{~order}。",
    "核查组对{~place}{k}户补贴对象进行了入户走访，未发现异常。",
)
AUDIT_FINDINGS = (
    "{unit}向不符合条件的{name}（身份证号{id}）发放{program}{~amount}。",
    "{date}至{date}，{unit}以{names}等人名义虚报冒领补贴{~amount}，资金转入{name}个人账户{card}。",
    "抽查发现{k}名已死亡人员仍在领取高龄津贴，其中{name}（{id}）于{year}年去世，家属{name}电话{mobile}。",
    "供应商{~org}（统一社会信用代码{uscc}）与经办人{name}存在关联关系，其法定代表人{name}电话{mobile}。",
    "{unit}会计{name}将公款{~amount}转入其本人银行卡{card}，至今未归还。",
    "{unit}重复发放{program}，涉及{uyghur}、{name}等{k}人，其中{uyghur}的卡号为{card}。",
    "低保对象{name}家住{addr}，名下登记有车辆{plate}，不符合低保条件。",
    "{unit}将{~asset}出租给{name}（联系电话{landline}），租金{~amount}未入账。",
    "{unit}为{tibetan}、{tibetan}办理了重复参保，身份证号分别为{id}和{id}。",
    "经核对，{name}同时在{unit}和{~org}领取工资，工资卡{card}。",
    "{unit}出纳{name}利用{mongol}的身份证{id}开立账户{card}，套取资金{~amount}。",
    "{unit}以{name}名义采购{item}，发票抬头与{~brand}一致，经办人电话{landline}。",
    "{year}年{unit}向{foreign}支付咨询费{~amount}，护照号{passport}，未签订合同。",
    "{name}（户籍{vaddr}）于{date}死亡后，其{program}仍由{name}代领至{date}。",
    "资金总额{~amount11}中，有{~amount}拨付至{name}（{mobile}）个人账户。",
    "{unit}干部{name}因私出国未交存护照{passport}，且在{~org}（{uscc}）兼职取酬。",
    "中标单位统一社会信用代码{uscc}，其股东{name}系{unit}负责人{name}的{relation}。",
)
AUDIT_FINDINGS_CLEAN = (
    "{unit}未按规定程序采购{item}，涉及金额{~amount}，{~doc}。",
    "{unit}挤占专项资金{~amount11}用于{item}，违反{~doc}规定。",
    "{unit}将{~asset}低价出租，年租金仅{~amount}。",
    "{~agency}{year}年度{program}资金结余{~amount}未及时清理。",
    "{unit}向{~brand}采购{item}，未经政府采购程序，合同编号{~order}。",
    "{~place}{k}个项目未按期完工，{~road}滞后{k}个月。",
)
MINUTES = (
    "主持人：{name}；参会人员：{names}；记录：{name}。",
    "会议研究了{item}事项，{name}同志汇报了前期工作情况，{name}同志作补充说明。",
    "会议决定由{name}负责联系{~org}，联系电话{landline}，手机{mobile}。",
    "{name}强调，要落实{item}责任，{date}前由{name}牵头完成整改。",
    "会议听取了{tibetan}、{mongol}关于{item}的汇报，同意{uyghur}的意见。",
    "出席：{names}。列席：{names}。请假：{name}（出差）。",
    "会议同意聘任{foreign}为顾问，联系邮箱{email}。",
    "会议讨论了{name}同志的任职事项，其家庭住址{addr}，联系方式{mobile}。",
    "{name}汇报：已向{name}（{landline}）核实，资金已于{date}拨付至卡号{card}。",
    "会议纪要由{name}整理，经{name}审核后印发，联系人{name}，电话{landline}。",
)
MINUTES_CLEAN = (
    "会议传达学习了{~doc}文件精神，研究部署{item}工作。",
    "会议审议{~road}项目预算调整方案，同意追加{~amount}。",
    "会议同意{~agency}提出的{item}实施意见，由{unit}负责落实。",
    "会议讨论了{~brand}门店租赁合同续签事项，租期{k}年。",
    "会议听取了{year}年{program}发放情况汇报，共发放{~amount11}。",
)
COMPLAINTS = (
    "我叫{name}，家住{addr}，身份证号{id}，手机{mobile}。我反映村干部{name}优亲厚友的问题。",
    "尊敬的领导：本人{name}，系{vaddr}村民，联系电话{mobile}，反映村主任{name}虚报低保的问题。",
    "举报人：{name}　电话：{landline}　地址：{saddr}",
    "我父亲{name}名下的社保卡{card}被人冒领了{k}个月养老金，请求调查。我的电话是{mobile}。",
    "我已多次拨打{~hotline}反映，至今无人处理。联系人：{name}，{mobile}。",
    "我是{uyghur}，住在{addr}，电话{mobile}，我家的补贴被{name}扣了。",
    "反映人{tibetan}，身份证号{id}，反映{unit}工作人员{name}吃拿卡要。",
    "{mongol}反映，其母亲{mongol}的高龄津贴打入了{name}的银行卡{card}。",
    "本人{name}（{id}），现住{saddr}，{date}向{unit}申请补贴被拒，请求复核。",
    "请将处理结果寄至{addr}，收件人{name}，电话{landline}或{mobile}。",
    "匿名举报：{unit}的{name}、{name}长期占用公车{plate}办私事。",
    "邻居{name}家三口人都领低保，他家在{saddr}还有一套房，户主{name}电话{mobile}。",
    "联系电话：{mobile}（白天）、{landline}（晚上），邮箱{email}。",
    "我是外籍配偶{foreign}，护照号码{passport}，住{saddr}，申请办理临时救助。",
)
COMPLAINTS_CLEAN = (
    "我反映{~place}道路破损问题，已多次拨打{~hotline}，希望尽快修复。",
    "{~anon}在{~road}占道经营，{~brand}门口长期堆放杂物。",
    "请{~agency}核实{~place}低保评议过程是否公开，{~doc}规定应当公示。",
    "{~road}施工噪音扰民，{date}晚上十点后仍在施工。",
    "反映{unit}办事效率低，{item}申请已提交{k}个月未办结。",
)
SUBSIDY_REMARKS = (
    "户主{name}，家庭人口{k}人，身份证{id}，补贴打入{bank}卡号{card}。",
    "{vaddr}{name}，高龄津贴{~amount}，联系人{name}{mobile}。",
    "低保对象{name}（{id}），银行卡{card}，{date}起停发。",
    "代领人{name}，与户主关系：{relation}，电话{mobile}。",
    "耕地地力补贴，{name}，承包面积{area}亩，{~amount}，卡号{card}。",
    "户主：{uyghur}，身份证号：{id}，住址：{vaddr}，联系电话：{mobile}。",
    "{tibetan}，{vaddr}，草原生态补奖{~amount}，账号{card}。",
    "户主{mongol}，{vaddr}，牧民补贴{~amount}，手机{mobile}。",
    "补贴对象：{names}，均为{~place}困难家庭，统一由{name}代领。",
    "{name}户因{relation}{name}（{id}）在{unit}就业，{date}起退出低保。",
    "特困供养人员{name}，住{addr}，监护人{name}（{mobile}，座机{landline}）。",
    "重新核定后，{name}的补贴改打入{card}，原卡{card}注销。",
    "残疾人两项补贴：{name}，证件号{id}，家庭地址{addr}。",
)
SUBSIDY_REMARKS_CLEAN = (
    "{program}资金{~amount}，于{date}通过一卡通统一发放。",
    "本月新增{k}户，退出{k}户，发放总额{~amount11}。",
    "按{~doc}规定，{~agency}对{k}户进行了复核。",
    "{~place}{program}名单已在村务公开栏张贴公示{k}天。",
    "发放明细以{~agency}系统导出为准，{~order}。",
)
GENRES = {
    "case_note": (CASE_NOTES, CASE_NOTES_CLEAN),
    "audit_finding": (AUDIT_FINDINGS, AUDIT_FINDINGS_CLEAN),
    "meeting_minutes": (MINUTES, MINUTES_CLEAN),
    "complaint_letter": (COMPLAINTS, COMPLAINTS_CLEAN),
    "subsidy_remark": (SUBSIDY_REMARKS, SUBSIDY_REMARKS_CLEAN),
}
