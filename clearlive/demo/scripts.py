"""What the demo's hosts and viewers say. Written for the demo; honest rooms include the
false-positive traps (最好冷藏, 第一次, 唯一的缺点, 微信支付, V领, 订单号) that must stay quiet."""

from __future__ import annotations

HONEST_ZH_HOST = [
    "家人们晚上好，欢迎来到我们果园的直播间",
    "今天给大家带的是赣南脐橙，我们自己果园种的，果径七十五到八十",
    "一箱五斤，今天直播间价格是三十九块九，和平时店铺价一样",
    "拆开以后最好冷藏保存，能放两个星期",
    "第一次来的宝宝点个关注，第一步先看看果子的横切面",
    "唯一的缺点是皮有点厚，剥的时候用刀划一下",
    "七天无理由退换，坏果拍照联系平台客服，坏一个赔一个",
    "点小黄车一号链接直接拍，支持微信支付和支付宝",
    "最近天气冷，物流可能会慢一两天，大家理解一下",
    "有尺码问题私信我，哦不对，水果没有尺码，有问题私信客服",
    "甜度大概十三度，不是每个都一样甜，介意的慎拍",
    "这是今年第一批果子，第一批量不大",
    "谢谢家人们的支持，我们明天同一时间再见",
]
HONEST_ZH_CHAT = [
    "多少钱一箱",
    "发什么快递",
    "甜不甜",
    "已下单",
    "主播口音好亲切",
    "能寄到新疆吗",
    "上次买的很好吃",
    "有没有十斤装",
    "订单号13812345678什么时候发货",
    "草莓还有吗",
    "支持微信支付吗",
    "第一次买，试试",
    "皮厚不厚",
    "坏果怎么赔",
    "老板实在",
]

BAD_ZH_HOST = [
    "家人们，这款面霜是全网最低价，找到更低的我倒赔",
    "这是我们家史上最强的一款面霜，用过的都说好",
    "我们是行业第一的品牌，销量冠军，闭眼入",
    "极品好货，国家级的配方，效果绝对好",
    "想要出厂价的，加我薇，v后面就是我名字拼音",
    "别在这拍，私我，给你走内部渠道",
    "今天不买的明天就没这个价了，抓紧",
    "买不起就滚出我直播间，穷酸样",
    "再黑我一句，我让你混不下去",
    "这个精华同价位天花板，闭眼入",
    "第一次来的家人们点个关注",
    "拆开以后最好冷藏，效果更好",
    "原价一千九百九，今天家人们只要一百九十九",
    "最后二十单，拍完下播恢复原价",
    "这是日本进口的面霜，专柜正品",
    "无效退款，你们放心拍",
    "隔壁那家卖的全是高仿，粉丝们去他评论区问问",
]
BAD_ZH_CHAT = [
    "多少钱",
    "有小样吗",
    "敏感肌能用吗",
    "已拍",
    "主播好美",
    "保质期多久",
    "和专柜的一样吗",
    "上次的还没用完",
    "这件是V领吗",
    "快递几天到",
    "假的吧",
]
RARE_ZH_CHAT = ["主播傻逼，又涨价"]
SPAM_ZH_CHAT = [
    "加🌹微🌹信 领内部价",
    "联系我①③⑧①②③④⑤⑥⑦⑧",
    "🐧号在我主页第二张图",
    "想要底价的看主页",
    "ＶＸ：ｌｉｎｇｌｉｎｇ８８",
]
BOT_ZH_CHAT = ["已拍", "回购第三次了", "效果绝了", "已拍两单", "太便宜了冲"]

HANT_HOST = [
    "各位朋友晚安，今天來看這款保溫杯",
    "這款是全網最便宜的，外面找不到這個價",
    "今天的價格是一百九十八元，送杯套",
    "加個薇信，給你便宜，名字後面那串數字就是",
    "杯子最好先用溫水燙一下再用",
    "這是獨一無二的設計",
    "七天無理由退貨，都在平台上處理",
]
HANT_CHAT = ["幾毫升", "有粉色嗎", "已下單", "保溫多久", "會漏水嗎", "謝謝主播"]
RARE_HANT_CHAT = ["加-微-信 領優惠"]

HONEST_EN_HOST = [
    "Welcome back everyone, tonight we are looking at cast iron pans",
    "This one is ten inches, pre-seasoned, and it is heavy",
    "Best before dates do not apply to pans, but the seasoning oil has one on the bottle",
    "The only downside is the weight, about five pounds",
    "Link #1 is the ten inch, link #2 is the twelve inch",
    "DM me if you have sizing questions, or ask in chat",
    "Returns are free within thirty days through the platform",
    "First time here? Hit follow so you see the next stream",
    "Best served with a little butter, trust me",
]
HONEST_EN_CHAT = [
    "how heavy is it",
    "does it work on induction",
    "ordered!",
    "is the handle hot",
    "shipping to Canada?",
    "love this stream",
    "what oil do you use",
    "mine arrived yesterday, great",
]

BAD_EN_HOST = [
    "This serum is the lowest price anywhere, find it cheaper and I'll refund you",
    "It's the #1 selling serum in America, nothing on the market comes close",
    "Don't buy here, message me on Telegram for the real deal",
    "Send it on Venmo and I'll knock off ten bucks",
    "Link in bio for the real price, the checkout price is for randoms",
    "If you can't afford it then leave, broke ass",
    "Apply it twice a day on clean skin",
    "Retail value $120, yours for $29 tonight",
    "Only 3 left, grab it now",
    "Use my code GLOW20 for ten percent off",
    "Leave 5 stars and get a free gift",
]
BAD_EN_CHAT = [
    "how much",
    "is it vegan",
    "ordered two",
    "does it sting",
    "does it work on acne",
]
RARE_EN_CHAT = [
    "this is fucking expensive",
    "text me at (415) 555-0132 for the deal",
    "join t.me/bestdeals for the real price",
]
BOT_EN_CHAT = ["just bought 3!!", "best serum ever", "ordered again", "my skin is glowing", "buy buy buy"]
